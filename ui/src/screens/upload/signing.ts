// What the signing step offers and refuses, from the keys on this computer and what the active
// connection's tenant trusts and requires. Pure, so the rules are tested without a window.
import type { KeyRegistrations } from "../../bindings/KeyRegistrations";
import type { SigningKeyInfo } from "../../bindings/SigningKeyInfo";

/** The keys the tenant trusts, by fingerprint. */
function trusted(keys: SigningKeyInfo[], registrations: KeyRegistrations): SigningKeyInfo[] {
  const fingerprints = new Set(registrations.registered.map((r) => r.fingerprint));
  return keys.filter((k) => fingerprints.has(k.fingerprint));
}

/**
 * The key the step starts with: unsigned unless the tenant requires signatures; then the demo
 * key when the tenant trusts it, else the only trusted key. `null` too when nothing is known.
 */
export function defaultKeyId(keys: SigningKeyInfo[], registrations: KeyRegistrations | undefined): string | null {
  if (!registrations?.signatures_required) return null;
  const usable = trusted(keys, registrations);
  const demo = usable.find((k) => k.demo);
  if (demo) return demo.key_id;
  return usable.length === 1 ? usable[0].key_id : null;
}

/**
 * Why the tenant would refuse the upload with this choice, as a sentence that names the fix;
 * `null` when it would accept it, or when the tenant cannot be asked (the server checks anyway).
 */
export function signingProblem(
  keyId: string | null,
  keys: SigningKeyInfo[],
  registrations: KeyRegistrations | undefined,
): string | null {
  if (!registrations) return null;
  const fleet = registrations.connection;
  if (keyId === null) {
    if (!registrations.signatures_required) return null;
    if (trusted(keys, registrations).length > 0) return `${fleet} requires signed packages: choose a key.`;
    if (keys.length > 0)
      return `${fleet} requires signed packages: choose a key, or register '${keys[0].name}' in Settings > Signing keys.`;
    return `${fleet} requires signed packages: create a key (Create key, below) and register it with ${fleet}.`;
  }
  const key = keys.find((k) => k.key_id === keyId);
  if (!key || trusted(keys, registrations).some((k) => k.key_id === keyId)) return null;
  return `${fleet} does not trust '${key.name}', so it would refuse the package: register '${key.name}' (Register with server, above, or Settings > Signing keys), or choose a registered key.`;
}

/** A refusal the backend said before uploading (`signing: ...`), without its prefix. */
export function signingRefusal(code: string, message: string): string | null {
  if (code !== "FAILED_PRECONDITION") return null;
  const m = /^signing:\s*(.*)$/s.exec(message);
  return m ? m[1] : null;
}

import { useState } from "react";
import type { SigningKeyInfo } from "../bindings/SigningKeyInfo";
import * as ipc from "../ipc";
import type { AppError } from "../ipc";
import { useKeyRegistrations, useRefreshKeys } from "./keyQueries";
import { useVerdict } from "../lib/verdict";

/**
 * Whether the active connection's tenant trusts a key, with a "Register" button when it does
 * not: the server refuses packages signed by a key it does not know.
 */
export function KeyRegistrationStatus({ keyInfo }: { keyInfo: SigningKeyInfo }) {
  const registrations = useKeyRegistrations();
  const refresh = useRefreshKeys();
  const [busy, setBusy] = useState(false);
  // A refused registration is about the key it asked for: shown under no other (the upload's
  // signing step keeps this line while the person picks another key).
  const { verdict: error, settle: refused, clear } = useVerdict<string, AppError>(keyInfo.key_id);

  if (registrations.isPending && registrations.fetchStatus === "idle") {
    return <span className="muted">No server connection</span>;
  }
  if (registrations.isPending) return <span className="muted">Checking the server…</span>;
  if (registrations.error) {
    const e = registrations.error as unknown as AppError;
    return (
      <span className="muted" title={e.message}>
        Registration unknown ({e.code === "OFFLINE" ? "offline" : e.code})
      </span>
    );
  }
  const data = registrations.data;
  const found = data.registered.find((r) => r.fingerprint === keyInfo.fingerprint);
  if (found) {
    return (
      <span className="ok" data-testid={`key-registered-${keyInfo.name}`} title={`Tenant key ${found.tenant_key_id}`}>
        ✓ Trusted by {data.connection}
      </span>
    );
  }
  const register = async () => {
    const given = keyInfo.key_id;
    setBusy(true);
    clear();
    try {
      await ipc.signingKeyRegister(given);
      await refresh();
    } catch (err) {
      refused(given, err as AppError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="key-registration">
      <span className="warn">Not registered with {data.connection}</span>{" "}
      <button type="button" onClick={() => void register()} disabled={busy} data-testid={`register-key-${keyInfo.name}`}>
        {busy ? "Registering…" : "Register with server"}
      </button>
      {error && (
        <span className="error" role="alert">
          {" "}
          {error.message}
        </span>
      )}
    </span>
  );
}

// Signing key forms (create, import): their values, checks before anything is sent, and which
// field a refusal from the Rust side belongs to. The Rust side checks the same again.
import type { KeyAlgorithm } from "../bindings/KeyAlgorithm";
import type { AppError } from "../ipc";

/** The shortest passphrase accepted (src-tauri/commands/signing.rs: MIN_PASSPHRASE_CHARS). */
export const MIN_PASSPHRASE = 12;

export const ALGORITHM_LABEL: Record<string, string> = {
  "ecdsa-p256-sha256": "ECDSA P-256",
  ed25519: "Ed25519",
};

export interface NewKeyValues {
  name: string;
  algorithm: KeyAlgorithm;
  passphrase: string;
  confirm: string;
}

export interface ImportKeyValues {
  name: string;
  path: string;
  filePassphrase: string;
  passphrase: string;
  confirm: string;
}

export type KeyField = "name" | "algorithm" | "path" | "filePassphrase" | "passphrase" | "confirm";
export type KeyErrors = Partial<Record<KeyField, string>>;

function checkName(name: string, existingNames: string[]): string | undefined {
  const n = name.trim();
  if (!n) return "Give the key a name, e.g. release-2026.";
  if ([...n].length > 100) return "Keep the name under 100 characters.";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(n)) return "Use printable characters only.";
  if (existingNames.some((e) => e.trim().toLowerCase() === n.toLowerCase()))
    return `A key named "${n}" is already on this computer; choose another name.`;
  return undefined;
}

function checkPassphrase(passphrase: string, confirm: string): KeyErrors {
  const errors: KeyErrors = {};
  if (!passphrase) errors.passphrase = "Choose a passphrase: keys are never stored unencrypted.";
  else if ([...passphrase].length < MIN_PASSPHRASE)
    errors.passphrase = `Use at least ${MIN_PASSPHRASE} characters; it is all that protects the key if this computer's files are copied.`;
  if (passphrase && confirm !== passphrase) errors.confirm = "The two passphrases differ.";
  return errors;
}

export function validateNewKey(v: NewKeyValues, existingNames: string[]): KeyErrors {
  const errors: KeyErrors = { ...checkPassphrase(v.passphrase, v.confirm) };
  const name = checkName(v.name, existingNames);
  if (name) errors.name = name;
  if (v.algorithm !== "ecdsa-p256-sha256" && v.algorithm !== "ed25519") errors.algorithm = "Choose ECDSA P-256 or Ed25519.";
  return errors;
}

export function validateImport(v: ImportKeyValues, existingNames: string[]): KeyErrors {
  const errors: KeyErrors = { ...checkPassphrase(v.passphrase, v.confirm) };
  const name = checkName(v.name, existingNames);
  if (name) errors.name = name;
  if (!v.path) errors.path = "Choose the private key's PEM file.";
  return errors;
}

/** Which field a refusal from the Rust side belongs to (`null`: show it above the form). */
export function keyErrorField(error: AppError, importing: boolean): KeyField | null {
  if (error.code === "WRONG_PASSPHRASE") return importing ? "filePassphrase" : "passphrase";
  if (/^passphrase\b|choose a passphrase/i.test(error.message)) return "passphrase";
  if (/key name/i.test(error.message)) return "name";
  if (!importing) return null;
  if (["INVALID_ARGUMENT", "NOT_FOUND", "PERMISSION_DENIED", "IO", "ALREADY_EXISTS"].includes(error.code)) return "path";
  return null;
}

/** The last part of a path, for showing a picked file. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

import { useState, type FormEvent } from "react";
import type { SigningKeyInfo } from "../../bindings/SigningKeyInfo";
import * as ipc from "../../ipc";
import type { AppError } from "../../ipc";
import { FieldError } from "../../components/FieldError";
import { useFieldErrors } from "../../lib/fieldErrors";
import { useVerdict } from "../../lib/verdict";
import { baseName, keyErrorField, validateImport, type ImportKeyValues, type KeyField } from "../../keys/keyForms";
import { PassphraseFields } from "../../keys/PassphraseFields";
import { ErrorLine } from "../../components/ErrorLine";

const EMPTY: ImportKeyValues = { name: "", path: "", filePassphrase: "", passphrase: "", confirm: "" };

/** Imports a PEM private key (P-256 or Ed25519) into this computer's key store, re-encrypted. */
export function ImportKeyForm(props: { existingNames: string[]; onImported: (key: SigningKeyInfo) => void; onCancel: () => void }) {
  const [v, setV] = useState<ImportKeyValues>(EMPTY);
  const { errors, setErrors, edited } = useFieldErrors<KeyField>();
  // A failure no field owns, about the values it met: any edit takes it away (useVerdict).
  const { verdict: failure, settle: failed, clear: clearFailure } = useVerdict<ImportKeyValues, AppError>(v);
  const [busy, setBusy] = useState(false);
  // Editing a field takes its error away (useFieldErrors).
  const set = (field: keyof ImportKeyValues) => (value: string) => {
    setV((old) => ({ ...old, [field]: value }));
    edited(field);
  };

  const pick = async () => {
    try {
      const path = await ipc.pickKeyFile();
      if (!path) return;
      setV((old) => ({ ...old, path, name: old.name || baseName(path).replace(/\.(pem|key|p8)$/i, "") }));
      edited("path");
      if (!v.name) edited("name");
    } catch (err) {
      failed(v, err as AppError);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found = validateImport(v, props.existingNames);
    setErrors(found);
    clearFailure();
    if (Object.keys(found).length > 0) return;
    const given = v;
    setBusy(true);
    try {
      const key = await ipc.signingKeyImport({
        name: v.name.trim(),
        path: v.path,
        file_passphrase: v.filePassphrase || undefined,
        passphrase: v.passphrase,
      });
      props.onImported(key);
    } catch (err) {
      const error = err as AppError;
      const field = keyErrorField(error, true);
      if (field) setErrors({ [field]: error.message });
      else failed(given, error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="key-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="ik-title" data-testid="import-key-form">
      <h3 id="ik-title">Import a signing key</h3>
      <div className="field">
        <span className="label" id="ik-path-label">
          Private key file (PEM)
        </span>
        <div className="actions">
          <button type="button" onClick={() => void pick()} aria-describedby="ik-path-label" data-testid="pick-key-file">
            Choose file…
          </button>
          <span className={v.path ? "" : "muted"} data-testid="picked-key-file" title={v.path}>
            {v.path ? baseName(v.path) : "No file chosen"}
          </span>
        </div>
        <FieldError id="ike-path" message={errors.path} />
        <p className="hint muted">PKCS#8 (“PRIVATE KEY”, “ENCRYPTED PRIVATE KEY”) or “EC PRIVATE KEY”, ECDSA P-256 or Ed25519.</p>
      </div>
      <div className="field-row">
        <div className="field">
          <label htmlFor="ik-name">Key name</label>
          <input
            id="ik-name"
            value={v.name}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? "ike-name" : undefined}
            onChange={(e) => set("name")(e.target.value)}
          />
          <FieldError id="ike-name" message={errors.name} />
        </div>
        <div className="field">
          <label htmlFor="ik-filePassphrase">File passphrase (if the file is encrypted)</label>
          <input
            id="ik-filePassphrase"
            type="password"
            autoComplete="off"
            value={v.filePassphrase}
            aria-invalid={errors.filePassphrase ? true : undefined}
            aria-describedby={errors.filePassphrase ? "ike-filePassphrase" : undefined}
            onChange={(e) => set("filePassphrase")(e.target.value)}
          />
          <FieldError id="ike-filePassphrase" message={errors.filePassphrase} />
        </div>
      </div>
      <PassphraseFields
        prefix="ik"
        passphrase={v.passphrase}
        confirm={v.confirm}
        errors={errors}
        onPassphrase={set("passphrase")}
        onConfirm={set("confirm")}
      />
      {failure && (
        <ErrorLine error={failure} />
      )}
      <div className="actions">
        <button type="button" onClick={props.onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy} data-testid="import-key-submit">
          {busy ? "Importing…" : "Import key"}
        </button>
      </div>
    </form>
  );
}

import { useState, type FormEvent } from "react";
import type { KeyAlgorithm } from "../bindings/KeyAlgorithm";
import type { SigningKeyInfo } from "../bindings/SigningKeyInfo";
import * as ipc from "../ipc";
import type { AppError } from "../ipc";
import { FieldError } from "../components/FieldError";
import { useFieldErrors } from "../lib/fieldErrors";
import { useVerdict } from "../lib/verdict";
import { keyErrorField, validateNewKey, type KeyField, type NewKeyValues } from "./keyForms";
import { PassphraseFields } from "./PassphraseFields";
import { ErrorLine } from "../components/ErrorLine";

const EMPTY: NewKeyValues = { name: "", algorithm: "ed25519", passphrase: "", confirm: "" };

/** Generates a signing key on this computer, stored encrypted under a passphrase. */
export function CreateKeyForm(props: {
  existingNames: string[];
  onCreated: (key: SigningKeyInfo, passphrase: string) => void;
  onCancel: () => void;
}) {
  const [v, setV] = useState<NewKeyValues>(EMPTY);
  const { errors, setErrors, edited } = useFieldErrors<KeyField>();
  // A failure no field owns, about the values sent: any edit takes it away (useVerdict).
  const { verdict: failure, settle: failed, clear: clearFailure } = useVerdict<NewKeyValues, AppError>(v);
  const [busy, setBusy] = useState(false);
  // Editing a field takes its error away (useFieldErrors).
  const set = (field: keyof NewKeyValues) => (value: string) => {
    setV((old) => ({ ...old, [field]: value }));
    edited(field);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found = validateNewKey(v, props.existingNames);
    setErrors(found);
    clearFailure();
    if (Object.keys(found).length > 0) return;
    const given = v;
    setBusy(true);
    try {
      const key = await ipc.signingKeyCreate({ name: v.name.trim(), algorithm: v.algorithm, passphrase: v.passphrase });
      props.onCreated(key, v.passphrase);
    } catch (err) {
      const error = err as AppError;
      const field = keyErrorField(error, false);
      if (field) setErrors({ [field]: error.message });
      else failed(given, error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="key-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="nk-title" data-testid="create-key-form">
      <h3 id="nk-title">Create a signing key</h3>
      <div className="field-row">
        <div className="field">
          <label htmlFor="nk-name">Key name</label>
          <input
            id="nk-name"
            value={v.name}
            placeholder="release-2026"
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? "nke-name" : undefined}
            onChange={(e) => set("name")(e.target.value)}
          />
          <FieldError id="nke-name" message={errors.name} />
        </div>
        <div className="field">
          <label htmlFor="nk-algorithm">Algorithm</label>
          <select id="nk-algorithm" value={v.algorithm} onChange={(e) => set("algorithm")(e.target.value as KeyAlgorithm)}>
            <option value="ed25519">Ed25519 (recommended)</option>
            <option value="ecdsa-p256-sha256">ECDSA P-256 (for devices that only verify ECDSA)</option>
          </select>
          <FieldError id="nke-algorithm" message={errors.algorithm} />
        </div>
      </div>
      <PassphraseFields
        prefix="nk"
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
        <button type="submit" className="primary" disabled={busy} data-testid="create-key-submit">
          {busy ? "Creating…" : "Create key"}
        </button>
      </div>
    </form>
  );
}

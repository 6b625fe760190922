import { useState, type FormEvent } from "react";
import * as ipc from "../../ipc";
import { CreateKeyForm } from "../settings/CreateKeyForm";
import { ALGORITHM_LABEL } from "../settings/keyForms";
import { useRefreshKeys, useSigningKeys } from "../settings/keyQueries";
import { KeyRegistrationStatus } from "../settings/KeyRegistrationStatus";
import { FieldError } from "./FieldError";
import { useUpload } from "./UploadProvider";

/** Step 4: sign with a key from this computer's key store (or create one here), or upload unsigned. */
export function SigningStep() {
  const u = useUpload();
  const list = useSigningKeys();
  const refresh = useRefreshKeys();
  const [passphrase, setPassphrase] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [creating, setCreating] = useState(false);
  const wrongPassphrase = u.error?.code === "WRONG_PASSPHRASE" ? u.error.message : undefined;
  const keys = list.data ?? [];
  const selected = keys.find((k) => k.key_id === u.keyId);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (u.keyId && !passphrase) {
      setError("Enter the key's passphrase.");
      return;
    }
    void u.start(passphrase);
  };

  if (creating) {
    return (
      <section className="wizard-step" aria-label="Signing">
        <CreateKeyForm
          existingNames={keys.map((k) => k.name)}
          onCancel={() => setCreating(false)}
          onCreated={(key, given) => {
            void refresh();
            u.setKey(key.key_id);
            setPassphrase(given);
            setError(undefined);
            setCreating(false);
          }}
        />
      </section>
    );
  }

  return (
    <form className="wizard-step" onSubmit={submit} aria-labelledby="signing-title">
      <h2 id="signing-title">Signing</h2>
      <fieldset className="key-list">
        <legend className="muted">Devices check the signature before installing.</legend>
        <label className="radio">
          <input type="radio" name="key" checked={u.keyId === null} onChange={() => u.setKey(null)} />
          Don't sign
        </label>
        {keys.map((k) => (
          <label className="radio" key={k.key_id}>
            <input type="radio" name="key" data-testid={`key-${k.name}`} checked={u.keyId === k.key_id} onChange={() => u.setKey(k.key_id)} />
            {k.name}{" "}
            <span className="muted">
              ({ALGORITHM_LABEL[k.algorithm] ?? k.algorithm}, {k.fingerprint.slice(0, 16)}…)
            </span>
          </label>
        ))}
        {list.isSuccess && keys.length === 0 && (
          <p className="muted" data-testid="no-keys">
            No signing keys on this computer yet.{" "}
            <button type="button" className="link" onClick={() => setCreating(true)} data-testid="wizard-create-key">
              Create key
            </button>
          </p>
        )}
        {keys.length > 0 && (
          <p>
            <button type="button" className="link" onClick={() => setCreating(true)} data-testid="wizard-create-key">
              Create another key
            </button>
          </p>
        )}
        {list.error && <p className="error">{(list.error as unknown as ipc.AppError).message}</p>}
      </fieldset>
      {selected && (
        <p className="hint" data-testid="selected-key-status">
          <KeyRegistrationStatus keyInfo={selected} />
        </p>
      )}
      {u.keyId && (
        <div className="field">
          <label htmlFor="f-passphrase">Passphrase</label>
          <input
            id="f-passphrase"
            type="password"
            value={passphrase}
            autoComplete="off"
            aria-invalid={error || wrongPassphrase ? true : undefined}
            onChange={(e) => setPassphrase(e.target.value)}
          />
          <FieldError id="e-passphrase" message={error ?? wrongPassphrase} />
        </div>
      )}
      <div className="actions">
        <button type="button" onClick={() => u.goTo("details")}>
          Back
        </button>
        <button type="submit" className="primary" data-testid="start-upload">
          Upload
        </button>
      </div>
    </form>
  );
}

import { useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import * as ipc from "../../ipc";
import { keys } from "../../lib/queries";
import { FieldError } from "./FieldError";
import { useUpload } from "./UploadProvider";

/** Step 4: sign with a key from this computer's key store, or upload unsigned. */
export function SigningStep() {
  const u = useUpload();
  const list = useQuery({ queryKey: keys.signingKeys, queryFn: ipc.signingKeys });
  const [passphrase, setPassphrase] = useState("");
  const [error, setError] = useState<string | undefined>();
  const wrongPassphrase = u.error?.code === "WRONG_PASSPHRASE" ? u.error.message : undefined;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (u.keyId && !passphrase) {
      setError("Enter the key's passphrase.");
      return;
    }
    void u.start(passphrase);
  };

  return (
    <form className="wizard-step" onSubmit={submit} aria-labelledby="signing-title">
      <h2 id="signing-title">Signing</h2>
      <fieldset className="key-list">
        <legend className="muted">Devices check the signature before installing.</legend>
        <label className="radio">
          <input type="radio" name="key" checked={u.keyId === null} onChange={() => u.setKey(null)} />
          Don't sign
        </label>
        {(list.data ?? []).map((k) => (
          <label className="radio" key={k.key_id}>
            <input type="radio" name="key" data-testid={`key-${k.name}`} checked={u.keyId === k.key_id} onChange={() => u.setKey(k.key_id)} />
            {k.name} <span className="muted">({k.algorithm}, {k.fingerprint.slice(0, 16)}…)</span>
          </label>
        ))}
        {list.data?.length === 0 && <p className="muted">No signing keys on this computer yet.</p>}
        {list.error && <p className="error">{(list.error as unknown as ipc.AppError).message}</p>}
      </fieldset>
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

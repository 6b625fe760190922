import { useEffect, useState, type FormEvent } from "react";
import * as ipc from "../../ipc";
import { CreateKeyForm } from "../../keys/CreateKeyForm";
import { ALGORITHM_LABEL } from "../../keys/keyForms";
import { useKeyRegistrations, useRefreshKeys, useSigningKeys } from "../../keys/keyQueries";
import { KeyRegistrationStatus } from "../../keys/KeyRegistrationStatus";
import { FieldError } from "../../components/FieldError";
import { useFieldErrors } from "../../lib/fieldErrors";
import { defaultKeyId, signingProblem, signingRefusal } from "./signing";
import { useUpload } from "./UploadProvider";
import { ErrorLine } from "../../components/ErrorLine";

/**
 * Step 4: sign with a key from this computer's key store (or create one here), or upload
 * unsigned. It starts with what the tenant requires (its trusted demo or only key), and stops a
 * choice the tenant would refuse before anything is sent, saying how to fix it.
 */
export function SigningStep() {
  const u = useUpload();
  const list = useSigningKeys();
  const registrations = useKeyRegistrations();
  const refresh = useRefreshKeys();
  const [passphrase, setPassphrase] = useState(u.lastPassphrase);
  // The passphrase's error: none was typed, or (read as the step opens after the upload) the
  // server's answer that it does not unlock the key. Editing it, or choosing another key, takes
  // the error away (useFieldErrors).
  const { errors, setErrors, edited } = useFieldErrors<"passphrase">(
    u.error?.code === "WRONG_PASSPHRASE" ? { passphrase: u.error.message } : {},
  );
  const chooseKey = (keyId: string | null) => {
    u.setKey(keyId);
    edited("passphrase");
  };
  // Upload was pressed while the choice has a problem: show it as an error, not a hint.
  const [blocked, setBlocked] = useState(false);
  const [creating, setCreating] = useState(false);
  const refusal = u.error ? signingRefusal(u.error.code, u.error.message) : null;
  const keys = list.data ?? [];
  const selected = keys.find((k) => k.key_id === u.keyId);
  const policy = registrations.data;
  const required = policy?.signatures_required ?? false;
  const problem = signingProblem(u.keyId, keys, policy);
  const suggested = list.isSuccess ? defaultKeyId(keys, policy) : null;

  // What the tenant requires, until the person picks something themselves.
  useEffect(() => {
    if (!u.keyChosen && suggested !== null && u.keyId !== suggested) u.suggestKey(suggested);
  }, [u, suggested]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (problem) {
      setBlocked(true);
      return;
    }
    if (u.keyId && !selected?.demo && !passphrase) {
      setErrors({ passphrase: "Enter the key's passphrase." });
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
            chooseKey(key.key_id);
            setPassphrase(given);
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
          <input
            type="radio"
            name="key"
            data-testid="key-none"
            checked={u.keyId === null}
            disabled={required}
            onChange={() => chooseKey(null)}
          />
          Don't sign{required && policy && <span className="muted"> ({policy.connection} requires signed packages)</span>}
        </label>
        {keys.map((k) => (
          <label className="radio" key={k.key_id}>
            <input type="radio" name="key" data-testid={`key-${k.name}`} checked={u.keyId === k.key_id} onChange={() => chooseKey(k.key_id)} />
            {k.name}{" "}
            {k.demo && <span className="muted">(demo fleet only) </span>}
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
        {list.error && <ErrorLine error={list.error as unknown as ipc.AppError} />}
      </fieldset>
      {selected && (
        <p className="hint" data-testid="selected-key-status">
          <KeyRegistrationStatus keyInfo={selected} />
        </p>
      )}
      {(refusal ?? problem) && (
        <p className={blocked || refusal ? "error" : "hint"} role={blocked || refusal ? "alert" : undefined} data-testid="signing-problem">
          {refusal ?? problem}
        </p>
      )}
      {selected?.demo && (
        <p className="hint" data-testid="demo-key-note">
          The demo key needs no passphrase: the app fills it in. It is trusted only by the local demo fleet.
        </p>
      )}
      {u.keyId && !selected?.demo && (
        <div className="field">
          <label htmlFor="f-passphrase">Passphrase</label>
          <input
            id="f-passphrase"
            type="password"
            value={passphrase}
            autoComplete="off"
            aria-invalid={errors.passphrase ? true : undefined}
            onChange={(e) => {
              setPassphrase(e.target.value);
              edited("passphrase");
            }}
          />
          <FieldError id="e-passphrase" message={errors.passphrase} />
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

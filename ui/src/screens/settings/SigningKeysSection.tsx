import { useState } from "react";
import type { AppError } from "../../ipc";
import { CreateKeyForm } from "../../keys/CreateKeyForm";
import { ImportKeyForm } from "./ImportKeyForm";
import { ALGORITHM_LABEL } from "../../keys/keyForms";
import { useRefreshKeys, useSigningKeys } from "../../keys/keyQueries";
import { KeyRegistrationStatus } from "../../keys/KeyRegistrationStatus";
import { ErrorLine } from "../../components/ErrorLine";

/** Settings → Signing keys: the keys on this computer, their registration, create and import. */
export function SigningKeysSection() {
  const list = useSigningKeys();
  const refresh = useRefreshKeys();
  const [mode, setMode] = useState<"list" | "create" | "import">("list");
  const [added, setAdded] = useState<string | null>(null);
  const keys = list.data ?? [];
  const names = keys.map((k) => k.name);
  const done = (name: string) => {
    setAdded(name);
    setMode("list");
    void refresh();
  };

  return (
    <section className="card" aria-labelledby="keys-title" data-testid="signing-keys">
      <h2 id="keys-title">Signing keys</h2>
      <p className="muted">
        Devices install only packages signed with a key the tenant trusts. Private keys stay on this computer, encrypted with their
        passphrase; only the public key is sent to the server.
      </p>
      {list.error && <ErrorLine error={list.error as unknown as AppError} />}
      {list.isSuccess && keys.length === 0 && <p className="muted">No signing keys on this computer yet.</p>}
      {keys.length > 0 && (
        <ul className="connections" data-testid="signing-key-list">
          {keys.map((k) => (
            <li key={k.key_id}>
              <div>
                <strong>{k.name}</strong> <span className="badge">{ALGORITHM_LABEL[k.algorithm] ?? k.algorithm}</span>
                <div className="muted">
                  Fingerprint <code title={k.fingerprint}>{k.fingerprint.slice(0, 16)}…</code>
                </div>
                {k.demo && (
                  <div className="muted" data-testid="demo-key-hint">
                    Made for the local demo fleet and trusted only by it; the app fills in its passphrase.
                  </div>
                )}
              </div>
              <div className="actions">
                <KeyRegistrationStatus keyInfo={k} />
              </div>
            </li>
          ))}
        </ul>
      )}
      {added && mode === "list" && (
        <p className="ok" role="status">
          Key “{added}” is stored on this computer. Register it with the server so it accepts what the key signs.
        </p>
      )}
      {mode === "create" && <CreateKeyForm existingNames={names} onCreated={(k) => done(k.name)} onCancel={() => setMode("list")} />}
      {mode === "import" && <ImportKeyForm existingNames={names} onImported={(k) => done(k.name)} onCancel={() => setMode("list")} />}
      {mode === "list" && (
        <div className="actions">
          <button type="button" onClick={() => setMode("create")} data-testid="create-key">
            Create key
          </button>
          <button type="button" onClick={() => setMode("import")} data-testid="import-key">
            Import key…
          </button>
        </div>
      )}
    </section>
  );
}

import { useState } from "react";
import * as ipc from "../../ipc";
import type { AppError } from "../../ipc";
import { useConnections, useResetConnectionData } from "../../lib/queries";
import { AddConnectionForm } from "./AddConnectionForm";
import { ApiTokensSection } from "./ApiTokensSection";
import { SigningKeysSection } from "./SigningKeysSection";
import { caCertSummary } from "./caCert";
import { ErrorLine } from "../../components/ErrorLine";

const KIND_LABEL = { saved: "Saved", environment: "From environment", demo: "Demo" } as const;

/** Connections: the list (switch, remove), the local demo fleet, a form to add a server; signing keys; API tokens. */
export function SettingsScreen() {
  const connections = useConnections();
  const reset = useResetConnectionData();
  const [error, setError] = useState<AppError | null>(null);
  const [demoBusy, setDemoBusy] = useState(false);
  // Removing a connection deletes its token from this computer: a second click confirms it.
  const [removing, setRemoving] = useState<string | null>(null);

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      await reset();
    } catch (err) {
      setError(err as AppError);
    }
  };

  const list = connections.data?.connections ?? [];
  const demoRunning = list.some((c) => c.kind === "demo");
  return (
    <>
      <div className="screen-head">
        <h1 id="section-title">Settings</h1>
      </div>
      {error && (
        <ErrorLine error={error} />
      )}
      <section className="card" aria-labelledby="conn-title">
        <h2 id="conn-title">Server connections</h2>
        {list.length === 0 && <p className="muted">No connections yet.</p>}
        <ul className="connections" data-testid="connection-list">
          {list.map((c) => (
            <li key={c.name} className={c.active ? "active" : ""}>
              <div>
                <strong>{c.name}</strong> <span className="badge">{KIND_LABEL[c.kind]}</span>
                <div className="muted">{c.url}</div>
                {c.ca_cert && (
                  <div className={c.ca_cert.expired ? "warn" : "muted"} data-testid="connection-ca">
                    Custom CA trusted: {caCertSummary(c.ca_cert)}
                  </div>
                )}
              </div>
              <div className="actions">
                {c.active ? (
                  <span className="ok">Active</span>
                ) : (
                  <button type="button" onClick={() => void act(() => ipc.connectionSwitch(c.name))}>
                    Switch to
                  </button>
                )}
                {c.kind === "saved" && removing !== c.name && (
                  <button type="button" className="danger" onClick={() => setRemoving(c.name)}>
                    Remove
                  </button>
                )}
              </div>
              {removing === c.name && (
                <div className="confirm-remove" role="alertdialog" aria-label={`Remove ${c.name}?`}>
                  <p>
                    Remove <strong>{c.name}</strong>? Its API token{c.ca_cert ? " and CA certificate are" : " is"} deleted
                    from this computer; what the app cached from it stays readable.
                  </p>
                  <div className="actions">
                    <button type="button" onClick={() => setRemoving(null)}>
                      Keep it
                    </button>
                    <button
                      type="button"
                      className="danger"
                      onClick={() => {
                        setRemoving(null);
                        void act(() => ipc.connectionRemove(c.name));
                      }}
                    >
                      Remove {c.name}
                    </button>
                  </div>
                </div>
              )}
            </li>
          ))}
        </ul>
      </section>
      {connections.data?.demo_available && (
        <section className="card" aria-labelledby="demo-title">
          <h2 id="demo-title">Local demo fleet</h2>
          {demoRunning ? (
            <>
              <p className="muted">
                Running: a local fleet server with a demo tenant, packages and simulated devices. Stopping it
                ends its server and devices; what the app cached from it stays readable.
              </p>
              <button
                type="button"
                className="danger"
                disabled={demoBusy}
                onClick={() => {
                  setDemoBusy(true);
                  void act(ipc.demoStop).finally(() => setDemoBusy(false));
                }}
              >
                {demoBusy ? "Stopping…" : "Stop local demo fleet"}
              </button>
            </>
          ) : (
            <>
              <p className="muted">Starts a local fleet server with a demo tenant, packages and simulated devices.</p>
              <button
                type="button"
                disabled={demoBusy}
                onClick={() => {
                  setDemoBusy(true);
                  void act(ipc.demoStart).finally(() => setDemoBusy(false));
                }}
              >
                {demoBusy ? "Starting…" : "Start local demo fleet"}
              </button>
            </>
          )}
        </section>
      )}
      <AddConnectionForm onSaved={() => void reset()} />
      <SigningKeysSection />
      <ApiTokensSection />
    </>
  );
}

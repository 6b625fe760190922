import { useState, type FormEvent } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import * as ipc from "../../ipc";
import type { AppError } from "../../ipc";
import type { CreatedApiTokenInfo } from "../../bindings/CreatedApiTokenInfo";
import type { Role } from "../../bindings/Role";
import { CopyButton } from "../../components/CopyButton";
import { ErrorLine } from "../../components/ErrorLine";
import { FieldError } from "../../components/FieldError";
import { useFieldErrors } from "../../lib/fieldErrors";
import { useVerdict } from "../../lib/verdict";
import { useActiveConnection } from "../../lib/queries";
import { formatTime } from "../../lib/format";

const ROLE_LABEL: Record<Role, string> = {
  admin: "Admin",
  "release-manager": "Release manager",
  support: "Support (read-only)",
};

/** The lifetimes offered; the server accepts 1 to 365 days. */
const EXPIRY_DAYS = [7, 30, 90, 365] as const;

const tokensKey = (connection: string | null) => ["api-tokens", connection] as const;

/** Settings → API tokens of the active server's tenant (admins): list, create (secret shown once), revoke. */
export function ApiTokensSection() {
  const active = useActiveConnection();
  const client = useQueryClient();
  const list = useQuery({
    queryKey: tokensKey(active),
    queryFn: ipc.apiTokensList,
    enabled: active !== null,
    retry: false,
  });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiTokenInfo | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ["api-tokens"] });

  const revoke = async (id: string) => {
    setError(null);
    try {
      await ipc.apiTokenRevoke(id);
      setConfirming(null);
      await refresh();
    } catch (err) {
      setError(err as AppError);
    }
  };

  if (active === null) return null;
  const listError = list.error as unknown as AppError | null;
  const tokens = list.data ?? [];
  return (
    <section className="card" aria-labelledby="tokens-title" data-testid="api-tokens">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted">
        Tokens for pipelines and people of {active}&apos;s tenant, each with a role and an expiry. The secret is shown once, when the
        token is made; the server keeps only its hash. A revoked token is refused from its next request on.
      </p>
      {listError &&
        (listError.code === "PERMISSION_DENIED" ? (
          <p className="muted" data-testid="tokens-admin-only">
            Only an admin of this tenant manages its API tokens.
          </p>
        ) : (
          <ErrorLine error={listError} />
        ))}
      {error && <ErrorLine error={error} />}
      {created && (
        <div className="ok" role="status" data-testid="new-token">
          <p>
            Token “{created.name}” ({ROLE_LABEL[created.role]}, until {formatTime(created.expires_at)}). Copy it now: it is not shown
            again.
          </p>
          <p>
            <code className="token-secret" data-testid="new-token-secret">{created.token}</code> <CopyButton text={created.token} label="Copy the token" />
          </p>
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      {list.isSuccess && tokens.length === 0 && <p className="muted">No API tokens yet.</p>}
      {tokens.length > 0 && (
        <ul className="connections" data-testid="api-token-list">
          {tokens.map((t) => (
            <li key={t.id} className={t.revoked_at ? "revoked" : ""} data-testid={`api-token-${t.name}`}>
              <div>
                <strong>{t.name}</strong> <span className="badge">{ROLE_LABEL[t.role]}</span>
                <div className="muted">
                  {t.revoked_at ? `Revoked ${formatTime(t.revoked_at)}` : `Expires ${formatTime(t.expires_at)}`} ·{" "}
                  {t.last_used_at ? `last used ${formatTime(t.last_used_at)}` : "never used"}
                </div>
              </div>
              <div className="actions">
                {!t.revoked_at &&
                  (confirming === t.id ? (
                    <>
                      <span>Revoke “{t.name}”?</span>
                      <button type="button" className="danger" onClick={() => void revoke(t.id)} data-testid={`confirm-revoke-${t.name}`}>
                        Revoke
                      </button>
                      <button type="button" onClick={() => setConfirming(null)}>
                        Keep
                      </button>
                    </>
                  ) : (
                    <button type="button" className="danger" onClick={() => setConfirming(t.id)} data-testid={`revoke-${t.name}`}>
                      Revoke…
                    </button>
                  ))}
              </div>
            </li>
          ))}
        </ul>
      )}
      {list.isSuccess &&
        (creating ? (
          <CreateTokenForm
            onCreated={(t) => {
              setCreated(t);
              setCreating(false);
              void refresh();
            }}
            onCancel={() => setCreating(false)}
          />
        ) : (
          <div className="actions">
            <button type="button" onClick={() => setCreating(true)} data-testid="create-token">
              Create token
            </button>
          </div>
        ))}
    </section>
  );
}

/** The new token's form, one value: each edit makes a new one (see useVerdict). */
interface TokenValues {
  name: string;
  role: Role;
  days: number;
}

function CreateTokenForm({ onCreated, onCancel }: { onCreated: (t: CreatedApiTokenInfo) => void; onCancel: () => void }) {
  const [values, setValues] = useState<TokenValues>({ name: "", role: "release-manager", days: 90 });
  const { name, role, days } = values;
  const { errors, setErrors, edited } = useFieldErrors<"name">();
  // The server's refusal, about the token asked for: any edit takes it away (useVerdict).
  const { verdict: error, settle: refused, clear: clearRefusal } = useVerdict<TokenValues, AppError>(values);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof TokenValues>(field: K, value: TokenValues[K]) => setValues((old) => ({ ...old, [field]: value }));

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    if (!name.trim()) {
      setErrors({ name: "Name the token after what uses it, e.g. nightly pipeline." });
      return;
    }
    setErrors({});
    const given = values;
    setBusy(true);
    clearRefusal();
    try {
      onCreated(await ipc.apiTokenCreate({ name: given.name.trim(), role: given.role, expires_in_days: given.days }));
    } catch (err) {
      refused(given, err as AppError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-label="New API token">
      <div className="field-row">
        <div className="field">
          <label htmlFor="t-name">Name</label>
          <input
            id="t-name"
            value={name}
            onChange={(e) => {
              set("name", e.target.value);
              edited("name");
            }}
            aria-invalid={errors.name ? true : undefined}
          />
          <FieldError id="te-name" message={errors.name} />
        </div>
        <div className="field">
          <label htmlFor="t-role">Role</label>
          <select id="t-role" value={role} onChange={(e) => set("role", e.target.value as Role)}>
            {(Object.keys(ROLE_LABEL) as Role[]).map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="t-days">Expires after</label>
          <select id="t-days" value={days} onChange={(e) => set("days", Number(e.target.value))}>
            {EXPIRY_DAYS.map((d) => (
              <option key={d} value={d}>
                {d} days
              </option>
            ))}
          </select>
        </div>
      </div>
      {error && <ErrorLine error={error} />}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Create token
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

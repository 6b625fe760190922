import { useState, type FormEvent } from "react";
import * as ipc from "../../ipc";
import type { AppError } from "../../ipc";
import { FieldError } from "../../components/FieldError";
import { useFieldErrors, type FieldErrors } from "../../lib/fieldErrors";
import { useVerdict } from "../../lib/verdict";
import type { CaCertInfo } from "../../bindings/CaCertInfo";
import { caCertSummary } from "./caCert";

type Field = "name" | "url" | "token";

/** What the form holds, one value: each edit makes a new one (see useVerdict). `ca` is the CA
 *  certificate's PEM, empty for none. */
interface Values {
  name: string;
  url: string;
  token: string;
  ca: string;
}

const EMPTY: Values = { name: "", url: "", token: "", ca: "" };

export function validateConnection(name: string, url: string, token: string): FieldErrors<Field> {
  const e: FieldErrors<Field> = {};
  if (!name.trim()) e.name = "Give the connection a name, e.g. production.";
  if (!/^https?:\/\/[^\s/@]+/.test(url.trim())) e.url = "Enter the server's http(s) URL, e.g. https://fleet.example.com.";
  if (!token.trim()) e.token = "Paste an API token (an admin makes one under Settings → API tokens, or with airliftd token …).";
  return e;
}

/** Add a server: name, URL, token and, for a server with a certificate of its own CA, that CA
 *  (picked from a file or pasted). "Test" checks them without saving; the token goes to the
 *  keyring, the CA is saved with the connection. */
export function AddConnectionForm({ onSaved }: { onSaved: () => void }) {
  const [values, setValues] = useState<Values>(EMPTY);
  const { name, url, token, ca: caPem } = values;
  const [caInfo, setCaInfo] = useState<CaCertInfo | null>(null);
  // The fields' errors, and the CA's (from its check when pasted or picked).
  const { errors, setErrors, edited } = useFieldErrors<Field | "ca">();
  const setCaError = (message: string) => setErrors((old) => ({ ...old, ca: message }));
  // A test's or a failed save's verdict, about the values it was given: any edit makes it stale.
  const { verdict: result, settle, clear } = useVerdict<Values, { ok: boolean; text: string }>(values);
  const [busy, setBusy] = useState(false);

  const check = () => {
    const e = validateConnection(name, url, token);
    setErrors((old) => ({ ...e, ca: old.ca }));
    return Object.keys(e).length === 0;
  };

  // Every edit (typed, pasted or picked) comes here: it takes the field's error away
  // (useFieldErrors) and, making new values, the verdict (useVerdict).
  const edit = (field: keyof Values) => (value: string) => {
    setValues((old) => ({ ...old, [field]: value }));
    edited(field);
  };

  const failed = (given: Values, err: unknown) => {
    const e = err as AppError;
    settle(given, { ok: false, text: `${e.message} (${e.code})` });
  };

  const test = async () => {
    if (!check()) return;
    const given = values;
    setBusy(true);
    clear();
    try {
      const r = await ipc.connectionTest(given.url.trim(), given.token.trim(), given.ca.trim() || null);
      settle(given, { ok: true, text: `Connected: ${packagesSeen(r.packages_seen)} visible with this token.` });
    } catch (err) {
      failed(given, err);
    } finally {
      setBusy(false);
    }
  };

  const save = async (ev: FormEvent) => {
    ev.preventDefault();
    if (!check()) return;
    const given = values;
    setBusy(true);
    clear();
    try {
      await ipc.connectionAdd({
        name: given.name.trim(),
        url: given.url.trim(),
        token: given.token.trim(),
        ca_cert_pem: given.ca.trim() || null,
      });
      setValues(EMPTY);
      setCaInfo(null);
      setErrors({});
      onSaved();
    } catch (err) {
      failed(given, err);
    } finally {
      setBusy(false);
    }
  };

  const pickCa = async () => {
    edited("ca");
    try {
      const picked = await ipc.pickCaCert();
      if (picked) {
        edit("ca")(picked.pem);
        setCaInfo(picked.info);
      }
    } catch (err) {
      const e = err as AppError;
      setCaError(`${e.message} (${e.code})`);
    }
  };

  // A pasted CA is checked when the field is left: its subject and expiry, or why it is none.
  const describeCa = async () => {
    edited("ca");
    setCaInfo(null);
    if (!caPem.trim()) return;
    try {
      setCaInfo(await ipc.caCertDescribe(caPem));
    } catch (err) {
      const e = err as AppError;
      setCaError(`${e.message} (${e.code})`);
    }
  };

  return (
    <form className="card" onSubmit={save} noValidate aria-labelledby="add-title">
      <h2 id="add-title">Add a server</h2>
      <div className="field-row">
        <div className="field">
          <label htmlFor="c-name">Name</label>
          <input id="c-name" value={name} onChange={(e) => edit("name")(e.target.value)} aria-invalid={errors.name ? true : undefined} />
          <FieldError id="ce-name" message={errors.name} />
        </div>
        <div className="field">
          <label htmlFor="c-url">Server URL</label>
          <input id="c-url" value={url} placeholder="https://fleet.example.com" onChange={(e) => edit("url")(e.target.value)} aria-invalid={errors.url ? true : undefined} />
          <FieldError id="ce-url" message={errors.url} />
        </div>
      </div>
      <div className="field">
        <label htmlFor="c-token">API token</label>
        <input id="c-token" type="password" autoComplete="off" value={token} onChange={(e) => edit("token")(e.target.value)} aria-invalid={errors.token ? true : undefined} />
        <FieldError id="ce-token" message={errors.token} />
        <p className="hint muted">Stored in the system keyring; where none answers, in a file only you can read (tokens.json, mode 0600).</p>
      </div>
      <div className="field">
        <label htmlFor="c-ca">CA certificate (optional)</label>
        <textarea
          id="c-ca"
          rows={3}
          spellCheck={false}
          value={caPem}
          placeholder="-----BEGIN CERTIFICATE----- … for a server whose certificate your own CA signed"
          onChange={(e) => {
            edit("ca")(e.target.value);
            setCaInfo(null);
          }}
          onBlur={() => void describeCa()}
          aria-invalid={errors.ca ? true : undefined}
        />
        <div className="actions">
          <button type="button" onClick={() => void pickCa()} disabled={busy}>
            Choose CA file…
          </button>
        </div>
        <FieldError id="ce-ca" message={errors.ca} />
        {caInfo && (
          <p className={caInfo.expired ? "warn" : "hint muted"} data-testid="ca-cert-chosen">
            Trusts {caCertSummary(caInfo)}
          </p>
        )}
        <p className="hint muted">Trusted for this server only, beside the system's CAs; saved with the connection.</p>
      </div>
      {result && (
        <p className={result.ok ? "ok" : "error"} role="status">
          {result.text}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={() => void test()} disabled={busy}>
          Test connection
        </button>
        <button type="submit" className="primary" disabled={busy}>
          Save and connect
        </button>
      </div>
    </form>
  );
}

function packagesSeen(n: number): string {
  if (n === 0) return "no package yet";
  return n === 1 ? "1 package" : `${n} packages`;
}

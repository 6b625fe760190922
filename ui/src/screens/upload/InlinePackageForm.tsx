import { useEffect, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import * as ipc from "../../ipc";
import type { InlinePackageOutcome } from "../../bindings/InlinePackageOutcome";
import type { PayloadKind } from "../../bindings/PayloadKind";
import { ErrorLine } from "../../components/ErrorLine";
import { FieldError } from "../../components/FieldError";
import { useVerdict } from "../../lib/verdict";
import { useKeyRegistrations, useSigningKeys } from "../../keys/keyQueries";
import { EMPTY_DETAILS, validateDetails, type DetailErrors, type Details } from "./details";
import { checkJsonPayload } from "./jsonPayload";
import { defaultKeyId } from "./signing";
import { JsonEditor } from "./JsonEditor";
import { EMPTY_ROW, rowProblem, UrlListForm, type UrlRow } from "./UrlListForm";

const EXAMPLE_JSON = '{\n  "sample_interval_s": 5,\n  "alerts": { "max_temp_c": 60 }\n}\n';

/** What the form sends, one value: each edit makes a new one (see useVerdict). */
interface Values {
  details: Details;
  json: string;
  rows: UrlRow[];
  keyId: string | null;
  passphrase: string;
}

/** The server's answer without a package: its refusal with each file's verdict, or a failure. */
type Refusal = { outcome: InlinePackageOutcome; failure: null } | { outcome: null; failure: ipc.AppError };

/** A JSON or URL list package (seed 002): what it is, its payload, the key that signs it, and
 *  the server's verdict (for a URL list, one per file). */
export function InlinePackageForm({
  kind,
  onShowPackage,
  onStartRollout,
}: {
  kind: Exclude<PayloadKind, "FILE">;
  onShowPackage: (id: string) => void;
  /** Opens the rollout wizard with the new package chosen. */
  onStartRollout: (id: string) => void;
}) {
  const queries = useQueryClient();
  const keyList = useSigningKeys();
  const registrations = useKeyRegistrations();
  const [values, setValues] = useState<Values>({
    details: { ...EMPTY_DETAILS, type: "sw" },
    json: EXAMPLE_JSON,
    rows: [EMPTY_ROW],
    keyId: null,
    passphrase: "",
  });
  const { details: d, json, rows, keyId, passphrase } = values;
  const set = <K extends keyof Values>(field: K) => (value: Values[K]) => setValues((old) => ({ ...old, [field]: value }));
  const setD = (patch: Partial<Details>) => setValues((old) => ({ ...old, details: { ...old.details, ...patch } }));
  const [setJson, setRows, setKeyId, setPassphrase] = [set("json"), set("rows"), set("keyId"), set("passphrase")];
  const [keyChosen, setKeyChosen] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  // The package made: a fact that stays. A refusal (and each file's verdict with it) is about
  // the values sent: any edit takes it away (useVerdict), the files' verdicts would otherwise
  // stand beside rows that changed or moved.
  const [made, setMade] = useState<InlinePackageOutcome | null>(null);
  const { verdict: refusal, settle: refused, clear: clearRefusal } = useVerdict<Values, Refusal>(values);
  const outcome = made ?? refusal?.outcome ?? null;
  const failure = refusal?.failure ?? null;
  const keys = keyList.data ?? [];
  const selected = keys.find((k) => k.key_id === keyId);
  const suggested = keyList.isSuccess ? defaultKeyId(keys, registrations.data) : null;

  useEffect(() => {
    if (!keyChosen && suggested !== null && keyId !== suggested) setKeyId(suggested);
  }, [keyChosen, suggested, keyId]);

  const errors: DetailErrors = submitted ? validateDetails(d, null) : {};
  const text = (field: Exclude<keyof Details, "encrypt">, label: string, placeholder: string) => (
    <div className="field">
      <label htmlFor={`p-${field}`}>{label}</label>
      <input
        id={`p-${field}`}
        value={d[field]}
        placeholder={placeholder}
        aria-invalid={errors[field] ? true : undefined}
        onChange={(e) => setD({ [field]: e.target.value })}
      />
      <FieldError id={`pe-${field}`} message={errors[field]} />
    </div>
  );
  const passphraseMissing = submitted && keyId !== null && !selected?.demo && !passphrase;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    const payloadOk = kind === "JSON" ? checkJsonPayload(json).ok : rows.every((r) => rowProblem(r) === null);
    if (Object.keys(validateDetails(d, null)).length > 0 || !payloadOk) return;
    if (keyId !== null && !selected?.demo && !passphrase) return;
    const given = values;
    setBusy(true);
    clearRefusal();
    try {
      const result = await ipc.inlinePackageCreate({
        type: d.type,
        version: d.version.trim(),
        device_type: d.deviceType.trim(),
        min_version: d.minVersion.trim(),
        release_notes: d.releaseNotes,
        payload_type: kind,
        json: kind === "JSON" ? json : undefined,
        files: kind === "URL_LIST" ? rows.map((r) => ({ url: r.url.trim(), sha256: r.sha256.trim(), size_bytes: Number(r.size) })) : [],
        key_id: keyId,
        passphrase: passphrase || undefined,
      });
      if (result.package) {
        setMade(result);
        void queries.invalidateQueries({ queryKey: ["catalog"] });
      } else refused(given, { outcome: result, failure: null });
    } catch (err) {
      refused(given, { outcome: null, failure: ipc.isAppError(err) ? err : { code: "INTERNAL", message: String(err) } });
    } finally {
      setBusy(false);
    }
  };

  const created = outcome?.package ?? null;
  return (
    <form className="wizard-step" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="inline-title" data-testid="inline-package-form">
      <h2 id="inline-title">{kind === "JSON" ? "A JSON configuration package" : "A URL list package"}</h2>
      <p className="muted">
        {kind === "JSON"
          ? "Devices receive the object itself in their assignment: nothing to download. It counts as installed once applied."
          : "The server downloads every file from its (allowed) host, checks its size and SHA-256, and keeps its own copy for devices."}
      </p>
      <div className="field-row">
        {text("version", "Version", "2.1.0")}
        <div className="field">
          <label htmlFor="p-type">Type</label>
          <select id="p-type" value={d.type} onChange={(e) => setD({ type: e.target.value as Details["type"] })}>
            <option value="fw">Firmware (fw)</option>
            <option value="sw">Software (sw)</option>
          </select>
        </div>
      </div>
      <div className="field-row">
        {text("deviceType", "Device type", "temp-sensor")}
        {text("minVersion", "Minimum installed version", "1.0.0")}
      </div>
      {kind === "JSON" ? <JsonEditor text={json} onChange={setJson} /> : <UrlListForm rows={rows} verdicts={outcome?.files ?? null} submitted={submitted} onChange={setRows} />}
      <div className="field">
        <label htmlFor="p-releaseNotes">Release notes</label>
        <textarea id="p-releaseNotes" rows={3} value={d.releaseNotes} onChange={(e) => setD({ releaseNotes: e.target.value })} />
      </div>
      <div className="field-row">
        <div className="field">
          <label htmlFor="p-key">Sign with</label>
          <select
            id="p-key"
            value={keyId ?? ""}
            onChange={(e) => {
              setKeyChosen(true);
              setKeyId(e.target.value || null);
            }}
          >
            <option value="">Unsigned</option>
            {keys.map((k) => (
              <option key={k.key_id} value={k.key_id}>
                {k.name}
              </option>
            ))}
          </select>
        </div>
        {keyId !== null && !selected?.demo && (
          <div className="field">
            <label htmlFor="p-passphrase">Key passphrase</label>
            <input id="p-passphrase" type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} aria-invalid={passphraseMissing || undefined} />
            <FieldError id="pe-passphrase" message={passphraseMissing ? "Enter the key's passphrase." : undefined} />
          </div>
        )}
      </div>
      {outcome?.error && <ErrorLine error={outcome.error} />}
      {failure && <ErrorLine error={failure} />}
      {created ? (
        <div className="result ok" data-testid="inline-result">
          <p role="status">
            Package {created.version} ({kind === "JSON" ? "JSON" : "URL list"}) is available · SHA-256 <code>{created.sha256.slice(0, 12)}…</code>
          </p>
          <div className="actions">
            <button
              type="button"
              className="primary"
              data-testid="start-rollout-of-inline"
              onClick={() => onStartRollout(created.id)}
            >
              Start a rollout of {created.version}
            </button>
            <button type="button" onClick={() => onShowPackage(created.id)}>
              Show in catalog
            </button>
          </div>
        </div>
      ) : (
        <div className="actions">
          <button type="submit" className="primary" disabled={busy} data-testid="create-inline-package">
            {busy ? (kind === "URL_LIST" ? "Downloading and verifying…" : "Creating…") : "Create package"}
          </button>
        </div>
      )}
    </form>
  );
}

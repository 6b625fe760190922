import { checkJsonPayload, MAX_JSON_PAYLOAD_BYTES } from "./jsonPayload";

/** The JSON package's payload: a text editor checked as the person types (syntax with line and
 *  column, an object at the top, at most 64 KiB as canonical JSON). */
export function JsonEditor({ text, onChange }: { text: string; onChange: (text: string) => void }) {
  const check = checkJsonPayload(text);
  const where = !check.ok && check.line !== undefined ? `Line ${check.line}, column ${check.column}: ` : "";
  return (
    <div className="field">
      <label htmlFor="f-json">Payload (a JSON object)</label>
      <textarea
        id="f-json"
        className="json-editor"
        data-testid="json-editor"
        rows={12}
        spellCheck={false}
        value={text}
        aria-invalid={check.ok ? undefined : true}
        aria-describedby="json-status"
        onChange={(e) => onChange(e.target.value)}
      />
      <p id="json-status" data-testid="json-status" className={check.ok ? "hint muted" : "error"} role={check.ok ? undefined : "alert"}>
        {check.ok
          ? `Valid JSON object · ${check.bytes.toLocaleString("en-US")} of ${MAX_JSON_PAYLOAD_BYTES.toLocaleString("en-US")} bytes as canonical JSON`
          : `${where}${check.message}`}
      </p>
    </div>
  );
}

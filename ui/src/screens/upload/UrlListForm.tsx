import type { FileVerdict } from "../../bindings/FileVerdict";
import { FieldError } from "../../components/FieldError";

/** One row of the URL list form, as typed. */
export interface UrlRow {
  url: string;
  sha256: string;
  size: string;
}

export const EMPTY_ROW: UrlRow = { url: "", sha256: "", size: "" };
export const MAX_URL_LIST_FILES = 64;

/** What is wrong with a row before anything is sent (the server checks the same and more). */
export function rowProblem(row: UrlRow): string | null {
  if (!/^https?:\/\/\S+$/.test(row.url.trim())) return "Enter the file's http(s) URL.";
  if (!/^[0-9a-fA-F]{64}$/.test(row.sha256.trim())) return "A SHA-256 is 64 hexadecimal digits.";
  if (!/^[1-9]\d*$/.test(row.size.trim())) return "Enter the file's size in bytes.";
  return null;
}

function Verdict({ verdict }: { verdict: FileVerdict | undefined }) {
  if (!verdict) return <span className="muted">—</span>;
  if (verdict.state === "verified") return <span className="badge ok" data-testid="file-verdict">Verified</span>;
  if (verdict.state === "not_checked") return <span className="badge muted" data-testid="file-verdict">Not checked</span>;
  return (
    <span className="error" data-testid="file-verdict" role="alert">
      Refused: {verdict.message}
    </span>
  );
}

/** The URL list package's files: URL, SHA-256 and size each, and (after Create) each file's
 *  verification result as the server gave it. */
export function UrlListForm({
  rows,
  verdicts,
  submitted,
  onChange,
}: {
  rows: UrlRow[];
  verdicts: FileVerdict[] | null;
  submitted: boolean;
  onChange: (rows: UrlRow[]) => void;
}) {
  const set = (i: number, field: keyof UrlRow, value: string) =>
    onChange(rows.map((r, j) => (j === i ? { ...r, [field]: value } : r)));
  return (
    <fieldset className="url-list" data-testid="url-list">
      <legend>Files ({rows.length} of {MAX_URL_LIST_FILES}); the server downloads and checks each before the package exists</legend>
      {rows.map((row, i) => {
        const problem = submitted ? rowProblem(row) : null;
        return (
          <div className="url-row" key={i} data-testid="url-row">
            <input aria-label={`File ${i + 1} URL`} placeholder="https://builds.example.com/app.bin" value={row.url} onChange={(e) => set(i, "url", e.target.value)} />
            <input aria-label={`File ${i + 1} SHA-256`} placeholder="SHA-256 (64 hex digits)" value={row.sha256} onChange={(e) => set(i, "sha256", e.target.value)} />
            <input aria-label={`File ${i + 1} size in bytes`} placeholder="bytes" inputMode="numeric" value={row.size} onChange={(e) => set(i, "size", e.target.value)} />
            <button type="button" aria-label={`Remove file ${i + 1}`} disabled={rows.length === 1} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
              Remove
            </button>
            <Verdict verdict={verdicts?.[i]} />
            <FieldError id={`e-row-${i}`} message={problem ?? undefined} />
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...rows, EMPTY_ROW])} disabled={rows.length >= MAX_URL_LIST_FILES} data-testid="add-file">
        Add file
      </button>
    </fieldset>
  );
}

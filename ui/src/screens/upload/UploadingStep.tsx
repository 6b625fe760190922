import { formatBytes, formatEta, formatRate } from "../../lib/format";
import { ProgressBar } from "../../components/ProgressBar";
import { useUpload } from "./UploadProvider";
import { ErrorLine } from "../../components/ErrorLine";

/** Step 5: the transfer (rate, time left, pause / cancel), then the server's checks. */
export function UploadingStep() {
  const u = useUpload();
  const t = u.transfer;
  const total = t?.total_bytes ?? u.file?.size_bytes ?? 0;
  const done = t?.done_bytes ?? 0;
  const paused = u.stage === "paused";
  const headline = {
    transfer: "Uploading",
    verifying: "The server is verifying the upload",
    publishing: "Creating the package",
    paused: "Upload paused",
  }[u.stage];
  return (
    <section className="wizard-step" aria-labelledby="uploading-title">
      <h2 id="uploading-title" data-testid="upload-stage">
        {headline}
      </h2>
      <p className="muted">
        {u.file?.file_name} · {u.details.version}
      </p>
      <ProgressBar done={done} total={total} label="Upload progress" />
      <p className="muted" data-testid="upload-progress">
        {formatBytes(done)} of {formatBytes(total)}
        {u.stage === "transfer" && t && t.bytes_per_sec > 0 && ` · ${formatRate(t.bytes_per_sec)} · ${formatEta(t.eta_secs)}`}
      </p>
      {paused && !u.error && (
        <p className="muted" data-testid="paused-hint">
          What was sent stays on the server: Resume continues from there, even after the app restarts.
        </p>
      )}
      {u.error && (
        <ErrorLine error={u.error} />
      )}
      <div className="actions">
        {paused ? (
          <button type="button" className="primary" onClick={() => void u.start()}>
            Resume
          </button>
        ) : (
          <button type="button" onClick={() => void u.pause()} disabled={u.stage !== "transfer"}>
            Pause
          </button>
        )}
        <button type="button" className="danger" onClick={() => void u.cancel()} disabled={u.stage === "publishing"}>
          Cancel upload
        </button>
      </div>
    </section>
  );
}

import { formatBytes } from "../../lib/format";
import { startRolloutHash } from "../../lib/route";
import { useUpload } from "./UploadProvider";

/**
 * Step 6: the server's verdict. A failure leaves nothing behind; the message says why, and
 * "Fix and retry" goes back with the file, every field and the key kept.
 */
export function ResultStep({ onShowPackage }: { onShowPackage: (id: string) => void }) {
  const u = useUpload();
  if (u.step === "failed" && u.error) {
    const title =
      u.error.code === "VERIFICATION_FAILED"
        ? "The server rejected the upload"
        : u.error.code === "CANCELLED"
          ? "Upload cancelled"
          : "The upload failed";
    return (
      <section className="wizard-step" aria-labelledby="result-title">
        <h2 id="result-title">{title}</h2>
        <div className="error-box" role="alert" data-testid="upload-error">
          <strong>{u.error.code}</strong>
          <p>{u.error.message}</p>
          <p className="muted">Nothing was added to the catalog, and the uploaded parts were removed.</p>
        </div>
        <div className="actions">
          <button type="button" className="primary" onClick={u.fixAndRetry} data-testid="fix-and-retry">
            Fix and retry
          </button>
          <button type="button" onClick={u.reset}>
            Start over
          </button>
        </div>
      </section>
    );
  }
  const o = u.outcome;
  if (!o) return null;
  return (
    <section className="wizard-step" aria-labelledby="result-title">
      <h2 id="result-title" data-testid="upload-done">
        Package {o.package.version} is available
      </h2>
      <ul className="verdict">
        <li>✓ Checksum verified by the server ({formatBytes(o.package.size_bytes)})</li>
        <li>
          {o.signature_verified_with ? `✓ Signature verified with key ${o.signature_verified_with}` : "Unsigned package"}
        </li>
        {o.stored_encrypted && <li data-testid="stored-encrypted">✓ Stored encrypted on the server (AES-256-GCM)</li>}
        {o.resumed && <li>Continued an interrupted upload</li>}
      </ul>
      <div className="actions">
        <button
          type="button"
          className="primary"
          data-testid="start-rollout-of-upload"
          onClick={() => {
            const hash = startRolloutHash(o.package.id);
            u.reset();
            u.close();
            window.location.hash = hash;
          }}
        >
          Start a rollout of {o.package.version}
        </button>
        <button type="button" onClick={() => onShowPackage(o.package.id)}>
          Show in catalog
        </button>
        <button type="button" onClick={u.reset}>
          Upload another
        </button>
      </div>
    </section>
  );
}

import { useQuery } from "@tanstack/react-query";
import * as ipc from "../../ipc";
import { formatBytes, formatTime } from "../../lib/format";
import { keys, useActiveConnection } from "../../lib/queries";
import { CopyButton } from "../../components/CopyButton";
import { routeHash, startRolloutHash } from "../../lib/route";
import { PAYLOAD_LABEL } from "./PayloadBadge";
import { SignatureBadge } from "./SignatureBadge";
import { ErrorLine } from "../../components/ErrorLine";

/** One package: every field, its release notes and the rollouts that used it. */
export function PackageDetailPanel({ id, onClose }: { id: string; onClose: () => void }) {
  const active = useActiveConnection();
  const detail = useQuery({ queryKey: keys.packageDetail(active, id), queryFn: () => ipc.packageDetail(id) });
  if (detail.error) {
    return (
      <aside className="detail" aria-label="Package detail">
        <ErrorLine error={detail.error as unknown as ipc.AppError} />
      </aside>
    );
  }
  const d = detail.data;
  if (!d) return <aside className="detail" aria-label="Package detail" aria-busy="true" />;
  const p = d.package;
  return (
    <aside className="detail" aria-label="Package detail" data-testid="package-detail">
      <header>
        <h2>
          {p.device_type} {p.version}
        </h2>
        <button type="button" onClick={onClose} aria-label="Close detail">
          ✕
        </button>
      </header>
      {active && (
        <p>
          <button
            type="button"
            className="primary"
            onClick={() => (window.location.hash = startRolloutHash(p.id))}
            data-testid="start-rollout-of-package"
          >
            Start a rollout of {p.version}
          </button>
        </p>
      )}
      <dl>
        <dt>Package id</dt>
        <dd><code>{p.id}</code></dd>
        <dt>Type</dt>
        <dd>{p.type === "fw" ? "Firmware" : "Software"}</dd>
        <dt>Payload</dt>
        <dd data-testid="detail-payload-type">{PAYLOAD_LABEL[p.payload_type]}</dd>
        <dt>Compatible with</dt>
        <dd>{p.device_type} running {p.min_version ?? "any version"} or later</dd>
        <dt>Size</dt>
        <dd>{formatBytes(p.size_bytes)} ({p.size_bytes.toLocaleString("en")} bytes)</dd>
        <dt>SHA-256</dt>
        <dd className="sha-full">
          <code data-testid="detail-sha256">{p.sha256}</code>
          <CopyButton text={p.sha256} label="Copy SHA-256" />
        </dd>
        <dt>Signature</dt>
        <dd><SignatureBadge status={p.signature_status} /></dd>
        <dt>Storage</dt>
        <dd data-testid="detail-storage">
          {p.stored_encrypted ? "Encrypted on the server (AES-256-GCM); devices decrypt what they download" : "Plain"}
        </dd>
        <dt>Storage key</dt>
        {p.storage_key ? (
          <dd className="sha-full" title="The object holding the package's bytes, in the server's storage (its S3 bucket and prefix, or its data folder)">
            <code data-testid="detail-storage-key">{p.storage_key}</code>
            <CopyButton text={p.storage_key} label="Copy storage key" />
          </dd>
        ) : (
          <dd className="muted" data-testid="detail-storage-key">
            Not known yet: refresh the catalog while the server is reachable
          </dd>
        )}
        <dt>Created</dt>
        <dd>{formatTime(p.created_at)}</dd>
      </dl>
      <h3>Release notes</h3>
      <p className="notes">{p.release_notes ?? <span className="muted">None.</span>}</p>
      <h3>Rollouts</h3>
      {d.rollouts.length === 0 ? (
        <p className="muted">No rollout has used this package yet.</p>
      ) : (
        <ul className="rollouts">
          {d.rollouts.map((r) => (
            <li key={r.id}>
              <a href={routeHash("rollouts", r.id)}>
                <code>{r.id}</code>
              </a>{" "}
              <span className="badge">{r.status.replace("_", " ")}</span> <span className="muted">{formatTime(r.created_at)}</span>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}

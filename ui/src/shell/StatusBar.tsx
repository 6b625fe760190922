import { useIsFetching, useQuery } from "@tanstack/react-query";
import * as ipc from "../ipc";
import { formatBytes, formatEta, formatRate, percent } from "../lib/format";
import { keys, useActiveConnection, useTokenRefused } from "../lib/queries";
import { useRateLimitNotice } from "../lib/rateLimit";
import { useUpload } from "../screens/upload/UploadProvider";

/** Background work: a sync in flight, the running upload, an upload left from last time, a call
 *  waiting out the server's rate limit, live updates stopped because the token was refused. */
export function StatusBar({ onOpenUpload, notice }: { onOpenUpload: () => void; notice?: string }) {
  const active = useActiveConnection();
  const syncing = useIsFetching({ queryKey: ["catalog", "live"] }) > 0;
  const u = useUpload();
  const uploading = u.step === "uploading";
  const pending = useQuery({
    queryKey: keys.pendingUpload(active),
    queryFn: ipc.pendingUpload,
    enabled: active !== null && !uploading,
  });
  const left = !uploading ? pending.data : null;
  const rateLimit = useRateLimitNotice();
  const refused = useTokenRefused();

  return (
    <footer className="statusbar" role="status" aria-live="polite" data-testid="status-bar">
      {notice && <span data-testid="status-notice">{notice}</span>}
      {rateLimit && (
        <span className="warn" data-testid="rate-limited">
          {rateLimit}
        </span>
      )}
      {refused && (
        <span className="warn" data-testid="token-refused-status">
          Live updates stopped: the server refused this connection's token
        </span>
      )}
      {syncing && <span data-testid="sync-activity">Syncing catalog…</span>}
      {uploading && (
        <button type="button" className="link" onClick={onOpenUpload} data-testid="upload-activity">
          {u.stage === "paused"
            ? `Upload of ${u.file?.file_name} paused`
            : u.stage === "transfer" && u.transfer
              ? `Uploading ${u.file?.file_name}: ${percent(u.transfer.done_bytes, u.transfer.total_bytes)}% · ${formatRate(u.transfer.bytes_per_sec)} · ${formatEta(u.transfer.eta_secs)}`
              : `Verifying ${u.file?.file_name}…`}
        </button>
      )}
      {left && (
        <span data-testid="pending-upload">
          Unfinished upload: {left.file_name} {left.request.version} ({formatBytes(left.done_bytes)} of{" "}
          {formatBytes(left.size_bytes)} sent){" "}
          <button
            type="button"
            className="link"
            onClick={() => {
              u.resume(left);
              onOpenUpload();
            }}
          >
            Resume
          </button>{" "}
          <button
            type="button"
            className="link"
            onClick={() => void ipc.pendingUploadDiscard().finally(() => void pending.refetch())}
          >
            Discard
          </button>
        </span>
      )}
      {!syncing && !uploading && !left && !rateLimit && !refused && <span className="muted">Ready</span>}
    </footer>
  );
}

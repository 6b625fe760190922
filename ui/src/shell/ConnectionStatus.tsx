import { formatClock } from "../lib/format";
import { useCatalog } from "../lib/queries";
import type { AppError } from "../ipc";

/** The active connection and whether it answers; offline it says how old the shown data is. */
export function ConnectionStatus({ onOpenSettings }: { onOpenSettings: () => void }) {
  const { active, live, data } = useCatalog();
  if (!active) {
    return (
      <button type="button" className="conn-status none" onClick={onOpenSettings} data-testid="connection-status">
        No connection
      </button>
    );
  }
  const liveError = live.error as AppError | null;
  let state: "online" | "offline" | "connecting" | "error";
  if (live.data) state = live.data.fresh ? "online" : "offline";
  else if (liveError) state = "error";
  else state = "connecting";
  const asOf = data?.synced_at_ms ? formatClock(data.synced_at_ms) : null;
  const label = {
    online: "Online",
    offline: asOf ? `Offline · data as of ${asOf}` : "Offline · nothing cached yet",
    connecting: asOf ? `Connecting… · data as of ${asOf}` : "Connecting…",
    error: liveError?.code === "UNAUTHENTICATED" ? "Token rejected" : "Server error",
  }[state];
  return (
    <button
      type="button"
      className={`conn-status ${state}`}
      onClick={onOpenSettings}
      title={live.data?.offline_reason ?? liveError?.message ?? undefined}
      data-testid="connection-status"
    >
      <span className="conn-name">{active}</span>
      <span className="conn-state" data-testid="connection-state">
        <span className="dot" aria-hidden="true" /> {label}
      </span>
    </button>
  );
}

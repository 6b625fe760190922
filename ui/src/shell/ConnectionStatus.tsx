import { formatAge, formatClock } from "../lib/format";
import { useNow } from "../lib/useNow";
import { useCatalog, useTokenRefused } from "../lib/queries";
import type { AppError } from "../ipc";

/** The active connection and whether it answers; offline (the server stopped or gone, the
 *  demo's included) every screen shows the cached copy, and this says how old it is. A token
 *  the server refused (revoked or expired) is said as such: the backend's one record of it. */
export function ConnectionStatus({ onOpenSettings }: { onOpenSettings: () => void }) {
  const { active, live, data } = useCatalog();
  const refused = useTokenRefused();
  const now = useNow();
  if (!active) {
    return (
      <button type="button" className="conn-status none" onClick={onOpenSettings} data-testid="connection-status">
        No connection
      </button>
    );
  }
  const liveError = live.error as AppError | null;
  let state: "online" | "offline" | "connecting" | "error" | "refused";
  if (refused) state = "refused";
  else if (live.data) state = live.data.fresh ? "online" : "offline";
  else if (liveError) state = "error";
  else state = "connecting";
  const synced = data?.synced_at_ms ?? null;
  const age = synced ? formatAge(synced, now) : null;
  const label = {
    online: "Online",
    offline: age ? `Offline · cached, ${age}` : "Offline · nothing cached yet",
    connecting: age ? `Connecting… · cached, ${age}` : "Connecting…",
    error: liveError?.code === "UNAUTHENTICATED" ? "Token rejected" : "Server error",
    refused: age ? `Token revoked or expired · cached, ${age}` : "Token revoked or expired",
  }[state];
  return (
    <button
      type="button"
      className={`conn-status ${state}`}
      onClick={onOpenSettings}
      title={
        [
          synced ? `Synced at ${formatClock(synced)}` : null,
          refused?.message ?? live.data?.offline_reason ?? liveError?.message,
        ]
          .filter(Boolean)
          .join(" · ") || undefined
      }
      data-testid="connection-status"
    >
      <span className="conn-name">{active}</span>
      <span className="conn-state" data-testid="connection-state">
        <span className="dot" aria-hidden="true" /> {label}
      </span>
    </button>
  );
}

import type { AutoPause } from "../../bindings/AutoPause";
import { formatTime } from "../../lib/format";
import { stateLabel } from "./labels";

/** The rollouts that paused themselves lately (their failure rate reached the threshold),
 *  newest first, with where each stands now. A row opens the rollout. */
export function AutoPauses({ pauses, onOpen }: { pauses: AutoPause[]; onOpen: (id: string) => void }) {
  if (pauses.length === 0) {
    return (
      <p className="muted" data-testid="no-auto-pauses">
        No rollout paused itself lately.
      </p>
    );
  }
  return (
    <ul className="dash-list" aria-label="Recent auto-pauses">
      {pauses.map((p) => (
        <li key={`${p.rollout_id}@${p.at}`}>
          <button type="button" className="dash-pause" data-testid="auto-pause" data-rollout-id={p.rollout_id} onClick={() => onOpen(p.rollout_id)}>
            <span className="dash-when">{formatTime(p.at)}</span>
            <strong>{p.package_version ?? p.rollout_id}</strong>
            {p.target && <span className="muted">→ {p.target}</span>}
            {p.status && <span className="muted dash-now">now {stateLabel({ auto_paused: false, rollout: { status: p.status } }).toLowerCase()}</span>}
          </button>
        </li>
      ))}
    </ul>
  );
}

import type { DashboardRollout } from "../../bindings/DashboardRollout";
import { FailureGauge } from "../../components/FailureGauge";
import { ProgressBar } from "../../components/ProgressBar";
import { failureValues, overPauseThreshold } from "../../lib/failureThreshold";
import { formatTime } from "../../lib/format";
import { stateLabel } from "./labels";

/** The rollouts still under way with their health: how far each got, its failure rate against
 *  the auto-pause threshold, and whether (and how) it is paused. A row opens the rollout. */
export function RolloutsUnderway({ rollouts, onOpen }: { rollouts: DashboardRollout[]; onOpen: (id: string) => void }) {
  if (rollouts.length === 0) {
    return (
      <p className="muted" data-testid="no-rollouts-underway">
        No rollout is under way.
      </p>
    );
  }
  return (
    <ul className="dash-list" aria-label="Rollouts under way">
      {rollouts.map((r) => {
        const item = r.rollout;
        const c = item.counters;
        const decided = c.successful + c.failed + c.timed_out;
        const failed = c.failed + c.timed_out;
        const label = stateLabel(r);
        const rate = item.failure_rate_percent;
        const values = failureValues(item);
        // The words take the gauge's colour: the engine's pause condition, not the desk's
        // at-or-above (which is for the Advance and Resume confirmations).
        const over = overPauseThreshold(values);
        return (
          <li key={item.id}>
            <button
              type="button"
              className="dash-rollout"
              data-testid="dashboard-rollout"
              data-rollout-id={item.id}
              data-status={item.status}
              onClick={() => onOpen(item.id)}
            >
              <span className="dash-rollout-head">
                <span className={`dash-state ${item.status}${r.auto_paused ? " auto" : ""}`} data-testid="dashboard-rollout-state">
                  {label}
                </span>
                <strong>{item.package_version}</strong>
                <span className="muted">→ {item.target}</span>
                {r.paused_at && <span className="muted dash-when">since {formatTime(r.paused_at)}</span>}
              </span>
              <span className="dash-rollout-health">
                <span className="dash-progress">
                  <ProgressBar done={decided} total={item.eligible_count} label={`${item.package_version} progress`} />
                  <span className="muted" data-testid="dashboard-rollout-progress">
                    {decided.toLocaleString("en")} of {item.eligible_count.toLocaleString("en")} done
                    {failed > 0 ? ` · ${failed.toLocaleString("en")} failed` : ""}
                  </span>
                </span>
                <span className="dash-failure">
                  <FailureGauge {...values} compact />
                  <span className={over ? "error" : "muted"} data-testid="dashboard-rollout-failures">
                    {rate.toFixed(1)} % failed of {item.failure_threshold_percent} % allowed
                  </span>
                </span>
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

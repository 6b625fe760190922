import type { RolloutItem } from "../../bindings/RolloutItem";
import { FailureGauge } from "../../components/FailureGauge";
import { failureValues, overPauseThreshold } from "../../lib/failureThreshold";
import { formatPercent, formatTime } from "../../lib/format";
import { DeviceStateBar } from "./DeviceStateBar";
import { backOnRollback, strategyLine } from "./model";
import { StatusBadge } from "./StatusBadge";

/** Every rollout with its state, package, progress and failure rate; a row opens it. */
export function RolloutListTable({ rollouts, onOpen }: { rollouts: RolloutItem[]; onOpen: (id: string) => void }) {
  return (
    <div className="table rollout-table" role="grid" aria-label="Rollouts" aria-rowcount={rollouts.length + 1}>
      <div className="row head rrow" role="row">
        <span role="columnheader">State</span>
        <span role="columnheader">Package</span>
        <span role="columnheader">Target</span>
        <span role="columnheader">Progress</span>
        <span role="columnheader">Failure rate</span>
        <span role="columnheader">Started</span>
      </div>
      <div className="table-body">
        {rollouts.map((r, i) => (
          <div
            key={r.id}
            role="row"
            aria-rowindex={i + 2}
            tabIndex={0}
            className="row rrow"
            data-testid="rollout-row"
            data-rollout-id={r.id}
            onClick={() => onOpen(r.id)}
            onKeyDown={(e) => {
              if (e.key === "Enter" || e.key === " ") {
                e.preventDefault();
                onOpen(r.id);
              }
            }}
          >
            <span role="gridcell">
              <StatusBadge rollout={r} />
            </span>
            <span role="gridcell">
              <span className="strong">{r.package_version}</span>
              {r.rollback_version && <span className="muted"> ↩ {r.rollback_version}</span>}
            </span>
            <span role="gridcell">
              {r.target}
              <span className="muted">
                {" "}
                · {strategyLine(r)}
              </span>
            </span>
            <span role="gridcell" className="progress-cell wide">
              <DeviceStateBar rollout={r} compact />
              <ProgressNumbers rollout={r} />
            </span>
            <span role="gridcell" className="progress-cell wide">
              <FailureGauge {...failureValues(r)} compact />
              <span className={overPauseThreshold(failureValues(r)) ? "error nums" : "muted nums"}>
                {formatPercent(r.failure_rate_percent)} / {r.failure_threshold_percent} %
              </span>
            </span>
            <span role="gridcell" className="muted">
              {formatTime(r.created_at)}
            </span>
          </div>
        ))}
      </div>
    </div>
  );
}

/** "47/258" updated; a rolled-back rollout says how many devices are back on the old build. */
function ProgressNumbers({ rollout: r }: { rollout: RolloutItem }) {
  const back = r.outcome === "rolled_back" || r.status === "rolling_back" ? backOnRollback(r) : null;
  if (back)
    return (
      <span className="muted nums" data-testid="rollout-progress" title={`${back.back} of ${back.of} devices back on ${r.rollback_version ?? "the rollback package"}`}>
        ↩ {back.back}/{back.of} back
      </span>
    );
  return (
    <span className="muted nums" data-testid="rollout-progress">
      {r.counters.successful}/{r.eligible_count}
    </span>
  );
}

import type { RolloutItem } from "../../bindings/RolloutItem";
import { formatTime } from "../../lib/format";
import { DeviceStateBar, FailureGauge } from "./DeviceStateBar";
import { formatRate } from "./model";
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
              <StatusBadge status={r.status} />
            </span>
            <span role="gridcell">
              <span className="strong">{r.package_version}</span>
              {r.rollback_version && <span className="muted"> ↩ {r.rollback_version}</span>}
            </span>
            <span role="gridcell">
              {r.target}
              <span className="muted">
                {" "}
                · {r.strategy === "all_at_once" ? "all at once" : `${r.strategy} ${r.canary_percent} %`}
              </span>
            </span>
            <span role="gridcell" className="progress-cell wide">
              <DeviceStateBar rollout={r} compact />
              <span className="muted nums">
                {r.counters.successful}/{r.eligible_count}
              </span>
            </span>
            <span role="gridcell" className="progress-cell wide">
              <FailureGauge rate={r.failure_rate_percent} threshold={r.failure_threshold_percent} compact />
              <span className={r.failure_rate_percent > r.failure_threshold_percent ? "error nums" : "muted nums"}>
                {formatRate(r.failure_rate_percent)} / {r.failure_threshold_percent} %
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

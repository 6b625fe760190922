import { useState } from "react";
import type { AppError } from "../../ipc";
import type { RolloutItem } from "../../bindings/RolloutItem";
import { formatClock, formatTime } from "../../lib/format";
import { routeHash } from "../../lib/route";
import { FailureGauge } from "../../components/FailureGauge";
import { backOnRollback, strategyLine } from "./model";
import { DeviceStateBar } from "./DeviceStateBar";
import { DeviceTable, type TableView } from "./DeviceTable";
import { FailureReasons } from "./FailureReasons";
import { PhaseGate } from "./PhaseGate";
import { ProgressChart } from "./ProgressChart";
import { useRolloutDetail } from "./queries";
import { RolloutActions } from "./RolloutActions";
import { StateDiagram } from "./StateDiagram";
import { StatusBadge } from "./StatusBadge";
import { ErrorLine } from "../../components/ErrorLine";
import { failureValues } from "../../lib/failureThreshold";


/** One rollout, live: header and actions, the state diagram, the counters with the plan's gate,
 *  progress over time, the failure reasons, every device. */
export function RolloutView({ id, onBack, onOpenDevice }: { id: string; onBack: () => void; onOpenDevice: (id: string) => void }) {
  const detail = useRolloutDetail(id);
  const [view, setView] = useState<TableView>({ state: null, sort: "position", descending: false, failure: null });
  const error = detail.error as AppError | null;
  const d = detail.data;
  if (!d)
    return (
      <>
        <div className="screen-head">
          <h1 id="section-title">Rollout</h1>
          <button type="button" onClick={onBack}>
            All rollouts
          </button>
        </div>
        {error ? (
          <ErrorLine error={error} />
        ) : (
          <p className="muted">Loading the rollout…</p>
        )}
      </>
    );
  const r = d.rollout;
  const rb = r.rollback_counters;
  // A finished rollout changes no more: its chart, reasons and rows are read once.
  const over = r.status === "completed" || r.status === "cancelled";
  return (
    <div className="rollout-view" data-testid="rollout-view" data-rollout-id={r.id}>
      <div className="screen-head">
        <div className="title-block">
          <button type="button" className="link back" onClick={onBack}>
            ← All rollouts
          </button>
          <h1 id="section-title">
            {r.package_version} → {r.target} <StatusBadge rollout={r} />
          </h1>
          {r.retry_of && (
            <p className="retry-of" data-testid="retry-of">
              Retry of <a href={routeHash("rollouts", r.retry_of)}>{r.retry_of}</a>: its failed and timed-out devices only.
            </p>
          )}
          <p className="muted subtitle">
            {strategyLine(r)} · {r.eligible_count} eligible
            {r.skipped_count > 0 && `, ${r.skipped_count} skipped`} · rollback {r.rollback_version ?? r.rollback_package_id ?? "none"} · {r.start_at ? "created" : "started"}{" "}
            {formatTime(r.created_at)} by {r.created_by} · <code>{r.id}</code>
          </p>
        </div>
        <RolloutActions detail={d} />
      </div>
      {(error || !d.fresh) && (
        <p className="notice" role="status" data-testid="rollout-stale">
          {d.fresh ? `Could not refresh: ${error?.message}` : `Offline — showing the copy from ${d.synced_at_ms ? formatClock(d.synced_at_ms) : "earlier"}. ${d.offline_reason ?? ""}`}
        </p>
      )}
      <div className="rollout-top">
        <section className="panel" aria-label="State">
          <StateDiagram status={r.status} outcome={r.outcome} transitions={d.transitions} />
        </section>
        <section className="panel counters" aria-label="Devices">
          <h2>
            Devices <DevicesSummary rollout={r} />
          </h2>
          <DeviceStateBar rollout={r} onPick={(s) => setView({ ...view, state: view.state === s ? null : s, failure: null })} picked={view.state} />
          <FailureGauge {...failureValues(r)} />
          {rb && (
            <p className="rollback-progress" data-testid="rollback-progress">
              Rollback to {r.rollback_version ?? "the rollback package"}: <strong>{rb.successful}</strong> of{" "}
              {rb.scheduled + rb.command_sent + rb.in_progress + rb.successful + rb.failed + rb.timed_out} devices back
              {rb.failed + rb.timed_out > 0 && <span className="error">, {rb.failed + rb.timed_out} failed</span>}.
            </p>
          )}
          <PhaseGate rollout={r} />
        </section>
      </div>
      <div className="rollout-analytics">
        <ProgressChart rollout={r} live={!over && d.fresh} />
        <FailureReasons
          rollout={r}
          live={!over && d.fresh}
          picked={view.failure ?? null}
          onPick={(failure) => setView({ ...view, state: null, failure })}
          onOpenDevice={onOpenDevice}
        />
      </div>
      <DeviceTable rollout={r} view={view} onView={setView} onOpenDevice={onOpenDevice} live={!over && d.fresh} />
    </div>
  );
}

/** "47 of 258 updated", or once rolled back, how many devices run the rollback version again
 *  (a rolled-back rollout's "updated" devices do not run the new build any more). */
function DevicesSummary({ rollout: r }: { rollout: RolloutItem }) {
  const back = r.outcome === "rolled_back" ? backOnRollback(r) : null;
  if (back)
    return (
      <span className="muted" data-testid="devices-summary">
        {back.back} of {back.of} back on {r.rollback_version ?? "the rollback package"}
      </span>
    );
  if (r.outcome === "rolled_back")
    return (
      <span className="muted" data-testid="devices-summary">
        rolled back without a rollback package: {r.counters.successful} device{r.counters.successful === 1 ? "" : "s"} kept {r.package_version}
      </span>
    );
  const failed = r.counters.failed + r.counters.timed_out;
  return (
    <span className="muted" data-testid="devices-summary">
      {r.counters.successful} of {r.eligible_count} updated
      {r.status === "completed" && failed > 0 && `, ${failed} failed`}
    </span>
  );
}

import { useMemo } from "react";
import type { RolloutItem } from "../../bindings/RolloutItem";
import type { AppError } from "../../ipc";
import { Chart } from "../../components/charts/Chart";
import { progressData, progressOptions, progressSummary } from "../../components/charts/timeSeries";
import { ErrorLine } from "../../components/ErrorLine";
import { formatClock } from "../../lib/format";
import { useRolloutProgress } from "./queries";

/** Succeeded, failed and in-progress devices over time (a point per minute in which the rollout
 *  changed), from the server's timeline; offline, as last fetched. */
export function ProgressChart({ rollout: r, live }: { rollout: RolloutItem; live: boolean }) {
  const progress = useRolloutProgress(r.id, r.status, live);
  const options = useMemo(progressOptions, []);
  const p = progress.data;
  const points = p?.points;
  const data = useMemo(
    () => progressData(points ?? [], Date.parse(r.created_at), Date.parse(r.updated_at)),
    [points, r.created_at, r.updated_at],
  );
  const summary = useMemo(() => progressSummary(points ?? [], formatClock), [points]);
  return (
    <section className="panel progress-panel" aria-label="Progress over time" data-testid="progress-chart" data-points={points?.length ?? 0}>
      <h2>Progress over time</h2>
      {p && !p.fresh && (
        <p className="muted offline-note" data-testid="progress-offline">
          {p.synced_at_ms ? `Offline — as of ${formatClock(p.synced_at_ms)}.` : "Offline — this chart was never loaded."}
        </p>
      )}
      {progress.error ? (
        <ErrorLine error={progress.error as unknown as AppError} context="Could not load the progress" />
      ) : !p ? (
        <p className="muted">Loading the progress…</p>
      ) : points && points.length > 0 ? (
        <Chart options={options} data={data} height={200} summary={summary} />
      ) : (
        <p className="muted" data-testid="progress-empty">
          {r.status === "scheduled" ? "Nothing yet: the rollout has not started." : "No device has been told anything yet."}
        </p>
      )}
    </section>
  );
}

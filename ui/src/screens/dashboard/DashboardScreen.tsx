import type { AppError } from "../../ipc";
import { ErrorLine } from "../../components/ErrorLine";
import { useReportFirstPaint } from "../../lib/firstPaint";
import { formatAge, formatClock } from "../../lib/format";
import { routeHash } from "../../lib/route";
import { useNow } from "../../lib/useNow";
import { AutoPauses } from "./AutoPauses";
import { CachePanel } from "./CachePanel";
import { FleetVersions } from "./FleetVersions";
import { useCacheSummary, useDashboard } from "./queries";
import { RolloutsUnderway } from "./RolloutsUnderway";

interface Props {
  navigate: (hash: string) => void;
  onOpenSettings: () => void;
}

/** The start screen: rollouts under way and their health, the fleet's firmware versions,
 *  recent auto-pauses, and what is cached for offline use. Painted from the cache first. */
export function DashboardScreen({ navigate, onOpenSettings }: Props) {
  const { data, cached, live, active } = useDashboard();
  const now = useNow();
  useReportFirstPaint(cached.isSuccess);
  const summary = useCacheSummary(live.dataUpdatedAt, cached.isSuccess);
  const error = (live.error ?? cached.error) as AppError | null;
  const openRollout = (id: string) => navigate(routeHash("rollouts", id));

  if (cached.isSuccess && !active) {
    return (
      <>
        <div className="screen-head">
          <h1 id="section-title">Dashboard</h1>
        </div>
        <section className="empty-state" data-testid="empty-state">
          <h2>No fleet connected</h2>
          <p>Add a server connection (or start the local demo fleet) to see its rollouts and devices.</p>
          <button type="button" className="primary" onClick={onOpenSettings}>
            Open Settings
          </button>
        </section>
      </>
    );
  }

  return (
    <>
      <div className="screen-head">
        <h1 id="section-title">Dashboard</h1>
        <div className="actions">
          <span className="muted" data-testid="dashboard-synced">
            {live.isFetching && !live.data
              ? "Syncing…"
              : data?.synced_at_ms
                ? `Synced ${formatClock(data.synced_at_ms)}`
                : "Not synced yet"}
          </span>
          <button type="button" onClick={() => void live.refetch()} disabled={live.isFetching}>
            Refresh
          </button>
        </div>
      </div>
      {error && <ErrorLine error={error} />}
      {data && !data.fresh && live.isFetched && data.offline_reason && (
        <p className="offline-note" role="status" data-testid="dashboard-offline">
          Offline: showing what was cached
          {data.synced_at_ms ? `, ${formatAge(data.synced_at_ms, now)} (synced at ${formatClock(data.synced_at_ms)})` : ""}.{" "}
          {data.offline_reason}
        </p>
      )}
      <div className="dash-grid">
        <section className="panel dash-wide" aria-labelledby="dash-rollouts">
          <h2 id="dash-rollouts">Rollouts under way</h2>
          {data && <RolloutsUnderway rollouts={data.rollouts} onOpen={openRollout} />}
        </section>
        <section className="panel" aria-labelledby="dash-fleet">
          <h2 id="dash-fleet">Fleet versions</h2>
          {data && <FleetVersions versions={data.fleet_versions} />}
        </section>
        <section className="panel" aria-labelledby="dash-pauses">
          <h2 id="dash-pauses">Recent auto-pauses</h2>
          {data && <AutoPauses pauses={data.auto_pauses} onOpen={openRollout} />}
        </section>
        <section className="panel dash-wide" aria-labelledby="dash-cache">
          <h2 id="dash-cache">Offline cache</h2>
          <CachePanel kinds={summary.data?.kinds} now={now} />
        </section>
      </div>
    </>
  );
}

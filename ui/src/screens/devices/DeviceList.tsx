import { useDeferredValue, useMemo, useState } from "react";
import type { AppError } from "../../ipc";
import { formatAge, formatClock } from "../../lib/format";
import { useNow } from "../../lib/useNow";
import { DeviceTable } from "./DeviceTable";
import { OTA_STATUSES, statusLabel } from "./status";
import { NO_FILTERS, useDeviceOverview, useDeviceSearch, type DeviceFilters } from "./useDevices";
import { ErrorLine } from "../../components/ErrorLine";

interface Props {
  onOpen: (id: string) => void;
  onOpenSettings: () => void;
}

/** Search the whole fleet (from the offline cache) by id or name, version and OTA status. */
export function DeviceList({ onOpen, onOpenSettings }: Props) {
  const overview = useDeviceOverview();
  const now = useNow();
  const [filters, setFilters] = useState<DeviceFilters>(NO_FILTERS);
  // Typing stays responsive on 100k devices: the query follows the deferred value.
  const deferred = useDeferredValue(filters);
  const search = useDeviceSearch(deferred);
  const devices = useMemo(() => search.data?.pages.flatMap((p) => p.items) ?? [], [search.data]);
  const data = overview.data;
  const error = (search.error ?? overview.live.error ?? overview.cached.error) as AppError | null;
  const stateCount = (s: string) => data?.states.find((x) => x.value === s)?.count ?? 0;
  const filtered = filters.text !== "" || filters.version !== "" || filters.state !== "";

  if (overview.cached.isSuccess && !overview.active) {
    return (
      <>
        <div className="screen-head">
          <h1 id="section-title">Devices</h1>
        </div>
        <section className="empty-state" data-testid="empty-state">
          <h2>No fleet connected</h2>
          <p>Add a server connection (or start the local demo fleet) to search its devices.</p>
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
        <h1 id="section-title">Devices</h1>
        <div className="actions">
          <span className="muted" data-testid="devices-synced">
            {overview.live.isFetching
              ? "Syncing…"
              : data?.synced_at_ms
                ? `Synced ${formatClock(data.synced_at_ms)}`
                : "Not synced yet"}
          </span>
          <button type="button" onClick={() => void overview.live.refetch()} disabled={overview.live.isFetching}>
            Refresh
          </button>
        </div>
      </div>
      {error && (
        <ErrorLine error={error} />
      )}
      {data && !data.fresh && overview.live.isFetched && data.offline_reason && (
        <p className="offline-note" role="status" data-testid="devices-offline">
          Offline: showing the devices cached
          {data.synced_at_ms ? `, ${formatAge(data.synced_at_ms, now)} (synced at ${formatClock(data.synced_at_ms)})` : ""}.{" "}
          {data.offline_reason}
        </p>
      )}
      <div className="filters" role="search">
        <input
          type="search"
          aria-label="Search devices"
          placeholder="Device id or name…"
          value={filters.text}
          autoFocus
          onChange={(e) => setFilters({ ...filters, text: e.target.value })}
          data-testid="device-search"
        />
        <select
          aria-label="Firmware version"
          value={filters.version}
          onChange={(e) => setFilters({ ...filters, version: e.target.value })}
          data-testid="version-filter"
        >
          <option value="">All versions</option>
          {data?.versions.map((v) => (
            <option key={v.value} value={v.value}>
              {v.value} ({v.count.toLocaleString()})
            </option>
          ))}
        </select>
        <select
          aria-label="OTA status"
          value={filters.state}
          onChange={(e) => setFilters({ ...filters, state: e.target.value })}
          data-testid="state-filter"
        >
          <option value="">All statuses</option>
          {OTA_STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)} ({stateCount(s).toLocaleString()})
            </option>
          ))}
        </select>
        {filtered && (
          <button type="button" onClick={() => setFilters(NO_FILTERS)}>
            Clear
          </button>
        )}
        <span className="muted" data-testid="device-count">
          {countText(devices.length, search.hasNextPage, data?.total ?? 0, filtered)}
        </span>
      </div>
      {data && data.total === 0 && !filtered ? (
        <section className="empty-state">
          <h2>No devices yet</h2>
          <p>{overview.live.isFetching ? "Syncing the fleet…" : "This fleet has no devices provisioned."}</p>
        </section>
      ) : devices.length === 0 && search.isSuccess ? (
        <section className="empty-state" data-testid="no-match">
          <h2>No device matches</h2>
          <p>Search finds any part of a device id or name; versions and statuses must match exactly.</p>
        </section>
      ) : (
        <DeviceTable
          devices={devices}
          hasMore={search.hasNextPage}
          loadingMore={search.isFetchingNextPage}
          onLoadMore={() => void search.fetchNextPage()}
          onOpen={onOpen}
        />
      )}
    </>
  );
}

function countText(shown: number, more: boolean, total: number, filtered: boolean): string {
  const all = `${total.toLocaleString()} devices`;
  if (!filtered) return all;
  return `${shown.toLocaleString()}${more ? "+" : ""} matching of ${all}`;
}

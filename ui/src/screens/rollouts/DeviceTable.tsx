import { useMemo, useRef, useState } from "react";
import { keepPreviousData, useQueries } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { DeviceWindow } from "../../bindings/DeviceWindow";
import type { RolloutDeviceRow } from "../../bindings/RolloutDeviceRow";
import type { RolloutItem } from "../../bindings/RolloutItem";
import * as ipc from "../../ipc";
import { formatTime } from "../../lib/format";
import { useActiveConnection, useRepeatsTokenBanner } from "../../lib/queries";
import { DEVICE_STATE_LABEL, FILTERABLE_STATES } from "./model";
import type { PickedReason } from "./FailureReasons";
import { LIVE_INTERVAL_MS, rolloutKeys } from "./queries";

const ROW_HEIGHT = 36;
/** Rows per server request: a screenful or two, so scrolling anywhere costs one request. */
export const WINDOW = 200;
/** Re-read interval of a table sorted by something other than scheduling order. */
const SORTED_INTERVAL_MS = 5000;

export type SortKey = "position" | "device" | "state" | "progress" | "updated";

export interface TableView {
  state: string | null;
  sort: SortKey;
  descending: boolean;
  /** Only the devices of one failure reason (picked in the failure reasons panel). */
  failure?: PickedReason | null;
}

/** How many rows a filter has: the devices that show `state` now. The server filters on a
 *  device's rollback state once a rollback reached it, else its update state, so each device
 *  is in one filter. A rollback reaches every device its update reached (command sent, in
 *  progress, successful, timed out) and counts them on its own track; failed and scheduled
 *  devices stay where they were. Same rule as `DeviceCounters::current` in airlift-core. */
export function rowCount(r: RolloutItem, state: string | null): number {
  if (state === null) return r.eligible_count;
  if (state === "pending") return r.pending;
  const key = state as keyof RolloutItem["counters"];
  const rollback = r.rollback_counters;
  if (!rollback) return r.counters[key] ?? 0;
  const stays = key === "scheduled" || key === "failed" ? (r.counters[key] ?? 0) : 0;
  return stays + (rollback[key] ?? 0);
}

const COLUMNS: { key: SortKey | null; label: string }[] = [
  { key: "position", label: "#" },
  { key: "device", label: "Device" },
  { key: null, label: "Current → target" },
  { key: "state", label: "State" },
  { key: "progress", label: "Progress" },
  { key: "updated", label: "Last report" },
];

/** Every device of the rollout, virtualized: only the windows around what is on screen are
 *  fetched (and re-fetched live), so 100,000 rows scroll like 100. */
export function DeviceTable({
  rollout,
  view,
  onView,
  onOpenDevice,
  live,
}: {
  rollout: RolloutItem;
  view: TableView;
  onView: (v: TableView) => void;
  onOpenDevice: (id: string) => void;
  live: boolean;
}) {
  const active = useActiveConnection();
  const scroller = useRef<HTMLDivElement>(null);
  // The counters give the row count; a window that reaches the end gives it exactly (the
  // counters can lag the rows by one refresh).
  const [exact, setExact] = useState<{ key: string; count: number } | null>(null);
  const viewKey = `${rollout.id}:${JSON.stringify(view)}`;
  // A failure reason's devices: its count (with a state filter too, the rows say how many).
  const estimate = view.failure ? view.failure.count : rowCount(rollout, view.state);
  const count = exact?.key === viewKey ? exact.count : estimate;
  const rows = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
    initialRect: { width: 1000, height: 400 },
  });
  const items = rows.getVirtualItems();
  const windows = useMemo(() => {
    const set = new Set<number>();
    for (const it of items) set.add(Math.floor(it.index / WINDOW));
    if (set.size === 0) set.add(0);
    return [...set].sort((a, b) => a - b);
  }, [items]);
  const results = useQueries({
    queries: windows.map((w) => {
      const req = {
        rollout_id: rollout.id,
        state: view.state,
        sort: view.sort,
        descending: view.descending,
        offset: w * WINDOW,
        failure_reason: view.failure?.reason ?? null,
        failure_status: view.failure?.status ?? null,
      };
      return {
        // The rollout's last change is part of the key: a new state or counter refetches the
        // rows at once (and for good once the rollout completes and polling stops).
        queryKey: [...rolloutKeys.devices(active, req), rollout.status, rollout.updated_at],
        queryFn: async () => {
          const page = await ipc.rolloutDevices({ ...req, limit: WINDOW });
          const end = page.offset + page.rows.length;
          if (!page.has_more && (page.rows.length > 0 || page.offset === 0)) setExact({ key: viewKey, count: end });
          else if (page.has_more) setExact((e) => (e && e.key === viewKey && e.count <= end ? null : e));
          return page;
        },
        // The key names the connection: wait for it rather than fetch twice.
        enabled: active !== null,
        // Scheduling order reads an index range; other orders sort the whole rollout on the
        // server, so a big one is polled less often.
        refetchInterval: !live ? false : view.sort === "position" ? LIVE_INTERVAL_MS : SORTED_INTERVAL_MS,
        placeholderData: keepPreviousData,
        retry: false,
      };
    }),
  });
  // Each change of the rollout re-keys the windows (see above), and useQueries does not carry
  // `keepPreviousData` over to a new key: without this, every live refresh would blank the rows
  // to "…" until the new window arrived. The last rows of each window of this view stay shown
  // until their replacement is in; another view (filter, sort) starts afresh.
  const lastPages = useRef<{ key: string; pages: Map<number, DeviceWindow> }>({ key: viewKey, pages: new Map() });
  if (lastPages.current.key !== viewKey) lastPages.current = { key: viewKey, pages: new Map() };
  windows.forEach((w, i) => {
    const page = results[i]?.data;
    if (page && page.offset === w * WINDOW) lastPages.current.pages.set(w, page);
  });
  const byIndex = (index: number): RolloutDeviceRow | undefined => {
    const w = Math.floor(index / WINDOW);
    const page = lastPages.current.pages.get(w);
    return page?.rows[index - page.offset];
  };
  const fetchError = results.find((r) => r.error)?.error as { code?: string; message?: string } | undefined;
  const error = useRepeatsTokenBanner(fetchError) ? undefined : fetchError;

  const sortBy = (key: SortKey) =>
    onView({ ...view, sort: key, descending: view.sort === key ? !view.descending : key === "updated" || key === "progress" });

  return (
    <div className="device-table-wrap">
      <div className="filters">
        <label htmlFor="device-state-filter" className="muted">
          Show
        </label>
        <select id="device-state-filter" value={view.state ?? ""} onChange={(e) => onView({ ...view, state: e.target.value || null })}>
          <option value="">All devices ({rollout.eligible_count})</option>
          {FILTERABLE_STATES.map((s) => (
            <option key={s} value={s}>
              {DEVICE_STATE_LABEL[s]} ({rowCount(rollout, s)})
            </option>
          ))}
        </select>
        {view.failure && (
          <span className="filter-chip" data-testid="failure-filter">
            <span className="chip-text" title={view.failure.reason}>
              Failed with <q>{view.failure.reason}</q> <code>{view.failure.status}</code>
            </span>
            <button type="button" className="link" aria-label="Show every device again" onClick={() => onView({ ...view, failure: null })}>
              ✕
            </button>
          </span>
        )}
        <span className="muted" data-testid="device-count">
          {count} device{count === 1 ? "" : "s"}
        </span>
        {error && (
          <span className={error.code === "OFFLINE" ? "muted" : "error"} role="alert" data-testid="device-table-error">
            {error.code === "OFFLINE" ? "Offline: the device rows need the server." : error.message}
          </span>
        )}
      </div>
      <div className="table device-table" role="grid" aria-label="Devices of this rollout" aria-rowcount={count + 1}>
        <div className="row head drow" role="row">
          {COLUMNS.map((c) =>
            c.key ? (
              <span key={c.label} role="columnheader" aria-sort={view.sort === c.key ? (view.descending ? "descending" : "ascending") : "none"}>
                <button type="button" className="sort" onClick={() => sortBy(c.key!)}>
                  {c.label}
                  {view.sort === c.key ? (view.descending ? " ▼" : " ▲") : ""}
                </button>
              </span>
            ) : (
              <span key={c.label} role="columnheader">
                {c.label}
              </span>
            ),
          )}
        </div>
        <div className="table-body" ref={scroller}>
          <div style={{ height: rows.getTotalSize(), position: "relative" }}>
            {items.map((item) => {
              const d = byIndex(item.index);
              const style = { position: "absolute" as const, top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` };
              if (!d)
                return (
                  <div key={item.key} className="row drow loading" role="row" aria-rowindex={item.index + 2} style={style}>
                    <span role="gridcell" className="muted">
                      …
                    </span>
                  </div>
                );
              const shown = d.rollback_state ?? d.state ?? "pending";
              return (
                <div
                  key={item.key}
                  role="row"
                  tabIndex={0}
                  aria-rowindex={item.index + 2}
                  className="row drow"
                  data-testid="device-row"
                  data-state={shown}
                  style={style}
                  title={`Open ${d.name ?? d.device_id}'s history`}
                  onClick={() => onOpenDevice(d.device_id)}
                  onKeyDown={(e) => {
                    if (e.key === "Enter" || e.key === " ") {
                      e.preventDefault();
                      onOpenDevice(d.device_id);
                    }
                  }}
                >
                  <span role="gridcell" className="muted num">
                    {item.index + 1}
                  </span>
                  <span role="gridcell" className="device-cell">
                    <span className="strong">{d.name ?? d.device_id}</span>
                    {d.name && <code className="muted"> {d.device_id}</code>}
                  </span>
                  <span role="gridcell">
                    {d.current_version ?? "?"}
                    {d.current_version !== d.target_version && <span className="muted"> → {d.target_version}</span>}
                  </span>
                  <span role="gridcell">
                    <span className={`dstate d-${shown}`}>
                      {d.rollback_state ? "↩ " : ""}
                      {DEVICE_STATE_LABEL[shown as keyof typeof DEVICE_STATE_LABEL] ?? shown}
                    </span>
                  </span>
                  <span role="gridcell" className="progress-cell">
                    {d.progress !== null ? (
                      <>
                        <span className={`mini-bar d-${shown}`} aria-hidden="true">
                          <span style={{ width: `${d.progress}%` }} />
                        </span>
                        {d.progress} %
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </span>
                  <span role="gridcell" className="report-cell" title={d.last_message ?? undefined}>
                    {d.last_status ? (
                      <>
                        <code>{d.last_status}</code> {d.last_message && <span className={shown === "failed" ? "error" : "muted"}>{d.last_message}</span>}
                        <span className="muted when"> · {formatTime(d.updated_at)}</span>
                      </>
                    ) : (
                      <span className="muted">no report yet</span>
                    )}
                  </span>
                </div>
              );
            })}
          </div>
        </div>
      </div>
    </div>
  );
}

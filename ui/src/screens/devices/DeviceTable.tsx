import { useEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { DeviceListItem } from "../../bindings/DeviceListItem";
import { formatTime } from "../../lib/format";
import { StatusBadge } from "./StatusBadge";

const ROW_HEIGHT = 40;

interface Props {
  devices: DeviceListItem[];
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  onOpen: (id: string) => void;
}

/**
 * The device list, virtualized: only the visible rows are in the DOM, and the next page of the
 * cache is read when the person scrolls near the end of what is loaded.
 */
export function DeviceTable({ devices, hasMore, loadingMore, onLoadMore, onOpen }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({
    count: devices.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 1000, height: 600 },
  });
  const items = rows.getVirtualItems();
  const lastShown = items.length > 0 ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (hasMore && !loadingMore && lastShown >= devices.length - 40) onLoadMore();
  }, [lastShown, devices.length, hasMore, loadingMore, onLoadMore]);

  // Arrow keys move between rows; Enter opens one.
  const focusRow = (index: number) => {
    const target = Math.max(0, Math.min(devices.length - 1, index));
    rows.scrollToIndex(target);
    requestAnimationFrame(() => {
      scroller.current?.querySelector<HTMLElement>(`[data-index="${target}"]`)?.focus();
    });
  };

  return (
    <div className="table" role="grid" aria-label="Devices" aria-rowcount={devices.length + 1}>
      <div className="row device-row head" role="row">
        <span role="columnheader">Device</span>
        <span role="columnheader">Device id</span>
        <span role="columnheader">Current</span>
        <span role="columnheader">Target</span>
        <span role="columnheader">OTA status</span>
        <span role="columnheader">Type</span>
        <span role="columnheader">Last update</span>
      </div>
      <div className="table-body" ref={scroller}>
        <div style={{ height: rows.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const d = devices[item.index];
            const differs = d.target_version !== null && d.target_version !== d.current_version;
            return (
              <div
                key={d.id}
                role="row"
                data-index={item.index}
                aria-rowindex={item.index + 2}
                tabIndex={0}
                className="row device-row"
                data-testid="device-row"
                style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                onClick={() => onOpen(d.id)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    onOpen(d.id);
                  } else if (e.key === "ArrowDown") {
                    e.preventDefault();
                    focusRow(item.index + 1);
                  } else if (e.key === "ArrowUp") {
                    e.preventDefault();
                    focusRow(item.index - 1);
                  }
                }}
              >
                <span role="gridcell" className="strong">{d.name}</span>
                <span role="gridcell"><code>{d.id}</code></span>
                <span role="gridcell">{d.current_version ?? "—"}</span>
                <span role="gridcell" className={differs ? "strong" : "muted"}>{d.target_version ?? "—"}</span>
                <span role="gridcell"><StatusBadge status={d.ota_status} progress={d.progress} /></span>
                <span role="gridcell" className="muted">{d.device_type}</span>
                <span role="gridcell" className="muted">{d.last_update_at ? formatTime(d.last_update_at) : "—"}</span>
              </div>
            );
          })}
        </div>
        {loadingMore && <p className="muted table-note">Loading more devices…</p>}
      </div>
    </div>
  );
}

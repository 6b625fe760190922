import { useEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { AuditEntryInfo } from "../../bindings/AuditEntryInfo";
import { formatTime } from "../../lib/format";
import { actionLabel, objectHash, objectTypeLabel } from "./objectLink";

const ROW_HEIGHT = 40;

interface Props {
  entries: AuditEntryInfo[];
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  onOpen: (hash: string) => void;
}

/**
 * The audit log, virtualized: only the visible rows are in the DOM, and the next page is asked
 * for when the person scrolls near the end of what is loaded. A row whose object has a screen
 * opens it (click, Enter).
 */
export function AuditTable({ entries, hasMore, loadingMore, onLoadMore, onOpen }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 1000, height: 600 },
  });
  const items = rows.getVirtualItems();
  const lastShown = items.length > 0 ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (hasMore && !loadingMore && lastShown >= entries.length - 20) onLoadMore();
  }, [lastShown, entries.length, hasMore, loadingMore, onLoadMore]);

  const focusRow = (index: number) => {
    const target = Math.max(0, Math.min(entries.length - 1, index));
    rows.scrollToIndex(target);
    requestAnimationFrame(() => {
      scroller.current?.querySelector<HTMLElement>(`[data-index="${target}"]`)?.focus();
    });
  };

  return (
    <div className="table audit-table" role="grid" aria-label="Audit log" aria-rowcount={entries.length + 1}>
      <div className="row audit-row head" role="row">
        <span role="columnheader">When</span>
        <span role="columnheader">Who</span>
        <span role="columnheader">Action</span>
        <span role="columnheader">Object</span>
        <span role="columnheader">Summary</span>
      </div>
      <div className="table-body" ref={scroller}>
        <div style={{ height: rows.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const e = entries[item.index];
            const target = objectHash(e.object_type, e.object_id);
            const open = () => {
              if (target) onOpen(target);
            };
            return (
              <div
                key={e.id}
                role="row"
                data-index={item.index}
                aria-rowindex={item.index + 2}
                tabIndex={0}
                className={target ? "row audit-row" : "row audit-row inert"}
                data-testid="audit-row"
                data-action={e.action}
                data-object-id={e.object_id}
                title={target ? `Open this ${objectTypeLabel(e.object_type)}` : undefined}
                style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                onClick={open}
                onKeyDown={(ev) => {
                  if (ev.key === "Enter" || ev.key === " ") {
                    ev.preventDefault();
                    open();
                  } else if (ev.key === "ArrowDown") {
                    ev.preventDefault();
                    focusRow(item.index + 1);
                  } else if (ev.key === "ArrowUp") {
                    ev.preventDefault();
                    focusRow(item.index - 1);
                  }
                }}
              >
                <span role="gridcell" className="muted num">{formatTime(e.at)}</span>
                <span role="gridcell" title={`${e.actor} (${e.role})`}>
                  <span className="strong">{e.actor}</span> <span className="muted audit-role">{e.role}</span>
                </span>
                <span role="gridcell">{actionLabel(e.action)}</span>
                {/* The action names the object's kind; the id is the column's. */}
                <span role="gridcell" title={`${objectTypeLabel(e.object_type)} ${e.object_id}`}>
                  <code>{e.object_id}</code>
                </span>
                <span role="gridcell" title={e.summary}>{e.summary}</span>
              </div>
            );
          })}
        </div>
        {loadingMore && <p className="muted table-note">Loading older entries…</p>}
      </div>
    </div>
  );
}

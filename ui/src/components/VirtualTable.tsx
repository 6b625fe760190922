import { useEffect, useRef, type ReactNode } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";

const ROW_HEIGHT = 40;

/** What a row carries besides its cells: a class next to the table's row class, a title,
 *  whether it is the selected one, and data attributes (its test id, what it shows). */
export type RowAttributes = { className?: string; title?: string; "aria-selected"?: boolean } & {
  [data: `data-${string}`]: string | undefined;
};

/** A list the server or the cache gives page by page. */
export interface Paging {
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  /** The next page is asked for once a row this close to the end of what is loaded shows. */
  prefetchRows: number;
  /** Shown under the rows while the next page loads. */
  loadingNote: string;
}

interface Props<T> {
  /** The grid's accessible name. */
  label: string;
  /** The grid's own class (column widths) besides "table", if any. */
  className?: string;
  /** Every row's class besides "row" (the grid template of its columns), if any. */
  rowClassName?: string;
  columns: string[];
  rows: T[];
  rowKey: (row: T) => string;
  rowAttributes: (row: T) => RowAttributes;
  /** The row's cells, each a `role="gridcell"` element. */
  cells: (row: T) => ReactNode;
  onOpen: (row: T) => void;
  /** For a list loaded page by page; without it, `rows` is the whole list. */
  paging?: Paging;
}

const NO_PAGING: Paging = { hasMore: false, loadingMore: false, onLoadMore: () => {}, prefetchRows: 0, loadingNote: "" };

const classes = (...names: (string | undefined)[]) => names.filter(Boolean).join(" ");

/**
 * A table of many rows, virtualized: only the visible rows are in the DOM, and the next page is
 * asked for when the person scrolls near the end of what is loaded. A row opens on click,
 * Enter or Space; the arrow keys move between rows.
 */
export function VirtualTable<T>({ label, className, rowClassName, columns, rows, rowKey, rowAttributes, cells, onOpen, paging }: Props<T>) {
  const { hasMore, loadingMore, onLoadMore, prefetchRows, loadingNote } = paging ?? NO_PAGING;
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 1000, height: 600 },
  });
  const items = virtualizer.getVirtualItems();
  const lastShown = items.length > 0 ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (hasMore && !loadingMore && lastShown >= rows.length - prefetchRows) onLoadMore();
  }, [lastShown, rows.length, hasMore, loadingMore, onLoadMore, prefetchRows]);

  const focusRow = (index: number) => {
    const target = Math.max(0, Math.min(rows.length - 1, index));
    virtualizer.scrollToIndex(target);
    requestAnimationFrame(() => {
      scroller.current?.querySelector<HTMLElement>(`[data-index="${target}"]`)?.focus();
    });
  };

  return (
    <div className={classes("table", className)} role="grid" aria-label={label} aria-rowcount={rows.length + 1}>
      <div className={classes("row", rowClassName, "head")} role="row">
        {columns.map((c) => (
          <span key={c} role="columnheader">
            {c}
          </span>
        ))}
      </div>
      <div className="table-body" ref={scroller}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const row = rows[item.index];
            const { className: extra, ...attributes } = rowAttributes(row);
            return (
              <div
                key={rowKey(row)}
                {...attributes}
                role="row"
                data-index={item.index}
                aria-rowindex={item.index + 2}
                tabIndex={0}
                className={classes("row", rowClassName, extra)}
                style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                onClick={() => onOpen(row)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    onOpen(row);
                  } else if (e.key === "ArrowDown") {
                    e.preventDefault();
                    focusRow(item.index + 1);
                  } else if (e.key === "ArrowUp") {
                    e.preventDefault();
                    focusRow(item.index - 1);
                  }
                }}
              >
                {cells(row)}
              </div>
            );
          })}
        </div>
        {loadingMore && <p className="muted table-note">{loadingNote}</p>}
      </div>
    </div>
  );
}

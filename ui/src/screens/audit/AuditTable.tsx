import type { AuditEntryInfo } from "../../bindings/AuditEntryInfo";
import { VirtualTable } from "../../components/VirtualTable";
import { formatTime } from "../../lib/format";
import { actionLabel, objectHash, objectTypeLabel } from "./objectLink";

const COLUMNS = ["When", "Who", "Action", "Object", "Summary"];

interface Props {
  entries: AuditEntryInfo[];
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  onOpen: (hash: string) => void;
}

/** The audit log: the server's next page is asked for when the person scrolls near the end of
 *  what is loaded. A row whose object has a screen opens it (click, Enter). */
export function AuditTable({ entries, hasMore, loadingMore, onLoadMore, onOpen }: Props) {
  return (
    <VirtualTable
      label="Audit log"
      className="audit-table"
      rowClassName="audit-row"
      columns={COLUMNS}
      rows={entries}
      rowKey={(e) => e.id}
      rowAttributes={(e) => {
        const target = objectHash(e.object_type, e.object_id);
        return {
          className: target ? undefined : "inert",
          title: target ? `Open this ${objectTypeLabel(e.object_type)}` : undefined,
          "data-testid": "audit-row",
          "data-action": e.action,
          "data-object-id": e.object_id,
        };
      }}
      onOpen={(e) => {
        const target = objectHash(e.object_type, e.object_id);
        if (target) onOpen(target);
      }}
      paging={{ hasMore, loadingMore, onLoadMore, prefetchRows: 20, loadingNote: "Loading older entries…" }}
      cells={(e) => (
        <>
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
        </>
      )}
    />
  );
}

import { useEffect, useMemo, useState } from "react";
import type { AppError } from "../../ipc";
import { ErrorLine } from "../../components/ErrorLine";
import { useAuditAccess } from "../../lib/auditAccess";
import { formatAge, formatClock } from "../../lib/format";
import { useNow } from "../../lib/useNow";
import { AuditTable } from "./AuditTable";
import { actionLabel, objectTypeLabel } from "./objectLink";
import { NO_FILTERS, useAuditLog, type AuditFilters } from "./useAudit";

/** How long typing rests before the log is asked again. */
const TYPING_PAUSE_MS = 300;

/** The value, once it stopped changing for `ms`. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** Who did what, when, on which object (admins and support): filtered by person, action,
 *  object and time, paged by the server; a row opens its object. */
export function AuditScreen({ navigate }: { navigate: (hash: string) => void }) {
  const access = useAuditAccess();
  const now = useNow();
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const settled = useSettled(filters, TYPING_PAUSE_MS);
  // Choices apply at once; only typed text waits for the pause.
  const asked = useMemo<AuditFilters>(
    () => ({ ...filters, actor: settled.actor, objectId: settled.objectId }),
    [filters, settled.actor, settled.objectId],
  );
  const allowed = access.data?.allowed ?? false;
  const log = useAuditLog(asked, allowed);
  const entries = useMemo(() => log.data?.pages.flatMap((p) => p.entries) ?? [], [log.data]);
  const first = log.data?.pages[0];
  const error = (log.error ?? access.error) as AppError | null;
  const filtered = Object.values(filters).some((v) => v !== "");
  const set = (patch: Partial<AuditFilters>) => setFilters((f) => ({ ...f, ...patch }));

  const head = (
    <div className="screen-head">
      <h1 id="section-title">Audit log</h1>
      {allowed && (
        <div className="actions">
          <button type="button" onClick={() => void log.refetch()} disabled={log.isFetching}>
            Refresh
          </button>
        </div>
      )}
    </div>
  );

  if (access.isSuccess && !allowed) {
    return (
      <>
        {head}
        <section className="empty-state" data-testid="audit-not-allowed">
          <h2>For admins and support</h2>
          <p>The audit log shows who changed what. This connection's role cannot read it; ask an admin.</p>
        </section>
      </>
    );
  }

  return (
    <>
      {head}
      {error && <ErrorLine error={error} context="The audit log could not be read" />}
      {first && !first.fresh && first.offline_reason && (
        <p className="offline-note" role="status" data-testid="audit-offline">
          Offline: showing the entries seen before
          {first.synced_at_ms ? `, ${formatAge(first.synced_at_ms, now)} (last read at ${formatClock(first.synced_at_ms)})` : ""}.{" "}
          {first.offline_reason}
        </p>
      )}
      <div className="filters audit-filters" role="search">
        <input
          type="search"
          aria-label="Person"
          placeholder="Person (exact)…"
          value={filters.actor}
          onChange={(e) => set({ actor: e.target.value })}
          data-testid="audit-actor"
        />
        <select aria-label="Action" value={filters.action} onChange={(e) => set({ action: e.target.value })} data-testid="audit-action">
          <option value="">All actions</option>
          {access.data?.actions.map((a) => (
            <option key={a} value={a}>
              {actionLabel(a)}
            </option>
          ))}
        </select>
        <select
          aria-label="Object type"
          value={filters.objectType}
          onChange={(e) => set({ objectType: e.target.value })}
          data-testid="audit-object-type"
        >
          <option value="">All objects</option>
          {access.data?.object_types.map((t) => (
            <option key={t} value={t}>
              {objectTypeLabel(t)}
            </option>
          ))}
        </select>
        <input
          type="search"
          aria-label="Object id"
          placeholder="Object id…"
          value={filters.objectId}
          onChange={(e) => set({ objectId: e.target.value })}
          data-testid="audit-object-id"
        />
        <label className="audit-time">
          From
          <input type="datetime-local" value={filters.from} onChange={(e) => set({ from: e.target.value })} data-testid="audit-from" />
        </label>
        <label className="audit-time">
          To
          <input type="datetime-local" value={filters.to} onChange={(e) => set({ to: e.target.value })} data-testid="audit-to" />
        </label>
        {filtered && (
          <button type="button" onClick={() => setFilters(NO_FILTERS)} data-testid="audit-clear">
            Clear
          </button>
        )}
      </div>
      <p className="muted list-count" data-testid="audit-count">
        {log.isPending
          ? "Reading the log…"
          : `${entries.length.toLocaleString("en")}${log.hasNextPage ? "+" : ""} ${entries.length === 1 && !log.hasNextPage ? "entry" : "entries"}${filtered ? " matching" : ""}`}
      </p>
      {log.isSuccess && entries.length === 0 ? (
        <section className="empty-state" data-testid="audit-empty">
          <h2>{filtered ? "Nothing matches" : "No changes recorded yet"}</h2>
          <p>{filtered ? "No entry matches these filters; clear one to see more." : "Changes people and tokens make appear here."}</p>
        </section>
      ) : (
        <AuditTable
          entries={entries}
          hasMore={log.hasNextPage}
          loadingMore={log.isFetchingNextPage}
          onLoadMore={() => void log.fetchNextPage()}
          onOpen={navigate}
        />
      )}
    </>
  );
}

// The audit log, a page at a time from the server (keyset: the last entry's id), each page
// kept in the cache; offline, the cached entries matching the same filter.
import { useInfiniteQuery } from "@tanstack/react-query";
import * as ipc from "../../ipc";
import { useActiveConnection, useConnections } from "../../lib/queries";

/** Entries per page. */
export const PAGE_SIZE = 100;

export interface AuditFilters {
  actor: string;
  action: string;
  objectType: string;
  objectId: string;
  /** `datetime-local` values (local time), or "". */
  from: string;
  to: string;
}

export const NO_FILTERS: AuditFilters = { actor: "", action: "", objectType: "", objectId: "", from: "", to: "" };

/** A `datetime-local` value ("2026-12-07T09:30", local time) as RFC 3339 in UTC; with
 *  `endOfMinute`, the last millisecond of that minute (a range "to 09:30" includes 09:30:40).
 *  "" stays null, and so does a value the browser could not read. */
export function toRfc3339(local: string, endOfMinute = false): string | null {
  if (local === "") return null;
  const d = new Date(local);
  if (Number.isNaN(d.getTime())) return null;
  return new Date(d.getTime() + (endOfMinute ? 59_999 : 0)).toISOString();
}

export function useAuditLog(filters: AuditFilters, enabled: boolean) {
  const active = useActiveConnection();
  const ready = useConnections().isSuccess;
  return useInfiniteQuery({
    queryKey: ["audit", active, filters],
    enabled: ready && active !== null && enabled,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      ipc.auditPage({
        actor: filters.actor.trim() || null,
        action: filters.action || null,
        object_type: filters.objectType || null,
        object_id: filters.objectId.trim() || null,
        since: toRfc3339(filters.from),
        until: toRfc3339(filters.to, true),
        after: pageParam,
        limit: PAGE_SIZE,
      }),
    getNextPageParam: (last) => (last.has_more && last.entries.length > 0 ? last.entries[last.entries.length - 1].id : undefined),
    placeholderData: (previous) => previous,
    retry: false,
  });
}

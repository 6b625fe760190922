// TanStack Query hooks of the dashboard. Keys carry the active connection.
import { useQuery } from "@tanstack/react-query";
import * as ipc from "../../ipc";
import { useActiveConnection, useConnections } from "../../lib/queries";

/** How often the dashboard is refreshed while shown. */
export const REFRESH_MS = 10_000;

export const dashboardKeys = {
  cached: (c: string | null) => ["dashboard", "cached", c] as const,
  live: (c: string | null) => ["dashboard", "live", c] as const,
  cacheSummary: (c: string | null, at: number) => ["dashboard", "cache-summary", c, at] as const,
};

/** The dashboard: the cached copy at once (the start screen paints from it), then the
 *  server's every few seconds while shown. */
export function useDashboard() {
  const active = useActiveConnection();
  const ready = useConnections().isSuccess;
  const cached = useQuery({
    queryKey: dashboardKeys.cached(active),
    queryFn: ipc.dashboardCached,
    enabled: ready,
    staleTime: Infinity,
  });
  const live = useQuery({
    queryKey: dashboardKeys.live(active),
    queryFn: ipc.dashboardRefresh,
    enabled: ready && active !== null,
    refetchInterval: REFRESH_MS,
    retry: false,
  });
  return { cached, live, data: live.data ?? cached.data, active };
}

/** What the cache holds, read again after each refresh (`refreshedAt`); after the first paint,
 *  so counting a large fleet never delays it. */
export function useCacheSummary(refreshedAt: number, after: boolean) {
  const active = useActiveConnection();
  return useQuery({
    queryKey: dashboardKeys.cacheSummary(active, refreshedAt),
    queryFn: ipc.cacheSummary,
    enabled: after,
    placeholderData: (previous) => previous,
  });
}

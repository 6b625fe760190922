// TanStack Query hooks of the devices screen. Every key carries the active connection.
import { useEffect } from "react";
import { useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import type { DeviceSearch } from "../../bindings/DeviceSearch";
import * as ipc from "../../ipc";
import { useActiveConnection, useConnections } from "../../lib/queries";

/** Rows per page of the device list. */
export const PAGE_SIZE = 200;

export interface DeviceFilters {
  text: string;
  version: string;
  state: string;
}

export const NO_FILTERS: DeviceFilters = { text: "", version: "", state: "" };

export const deviceKeys = {
  overviewCached: (c: string | null) => ["devices", "overview", "cached", c] as const,
  overviewLive: (c: string | null) => ["devices", "overview", "live", c] as const,
  search: (c: string | null, f: DeviceFilters) => ["devices", "search", c, f] as const,
  detail: (c: string | null, id: string) => ["device", c, id] as const,
};

/** Fleet counts: the cached copy at once, then a sync with the server (every 30 s while shown). */
export function useDeviceOverview() {
  const active = useActiveConnection();
  const ready = useConnections().isSuccess;
  const client = useQueryClient();
  const cached = useQuery({
    queryKey: deviceKeys.overviewCached(active),
    queryFn: ipc.devicesOverview,
    enabled: ready,
  });
  const live = useQuery({
    queryKey: deviceKeys.overviewLive(active),
    queryFn: ipc.devicesRefresh,
    enabled: ready && active !== null,
    refetchInterval: 30_000,
    retry: false,
  });
  // A finished sync changed the cache: the list pages re-read it.
  useEffect(() => {
    if (live.dataUpdatedAt > 0) void client.invalidateQueries({ queryKey: ["devices", "search"] });
  }, [live.dataUpdatedAt, client]);
  return { cached, live, data: live.data ?? cached.data, active };
}

/** The cached fleet matching `filters`, a page at a time (keyset cursors, never offsets). */
export function useDeviceSearch(filters: DeviceFilters) {
  const active = useActiveConnection();
  const ready = useConnections().isSuccess;
  return useInfiniteQuery({
    queryKey: deviceKeys.search(active, filters),
    enabled: ready,
    initialPageParam: null as DeviceSearch["after"],
    queryFn: ({ pageParam }) =>
      ipc.devicesSearch({
        text: filters.text,
        version: filters.version || null,
        state: filters.state || null,
        after: pageParam,
        limit: PAGE_SIZE,
      }),
    getNextPageParam: (last) => last.next,
    placeholderData: (previous) => previous,
  });
}

/** One device: the cached copy first, then fetched from the server (history included). */
export function useDeviceDetail(id: string) {
  const active = useActiveConnection();
  const ready = useConnections().isSuccess;
  const cached = useQuery({
    queryKey: [...deviceKeys.detail(active, id), "cached"],
    queryFn: () => ipc.deviceDetail(id, false),
    enabled: ready,
    retry: false,
  });
  const live = useQuery({
    queryKey: [...deviceKeys.detail(active, id), "live"],
    queryFn: () => ipc.deviceDetail(id, true),
    enabled: ready && active !== null,
    refetchInterval: 15_000,
    retry: false,
  });
  return { cached, live, data: live.data ?? cached.data };
}

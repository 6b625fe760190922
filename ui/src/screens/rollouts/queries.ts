// TanStack Query hooks for the rollout screens. Keys carry the active connection.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { DeviceWindowRequest } from "../../bindings/DeviceWindowRequest";
import type { RolloutAction } from "../../bindings/RolloutAction";
import * as ipc from "../../ipc";
import { useActiveConnection, useConnections } from "../../lib/queries";

/** How often an open rollout is re-read: "live" for a person watching devices move. */
export const LIVE_INTERVAL_MS = 1500;

export const rolloutKeys = {
  cached: (c: string | null) => ["rollouts", "cached", c] as const,
  live: (c: string | null) => ["rollouts", "live", c] as const,
  detail: (c: string | null, id: string) => ["rollout", c, id] as const,
  devices: (c: string | null, r: Omit<DeviceWindowRequest, "limit">) => ["rollout-devices", c, r] as const,
  targets: (c: string | null) => ["rollout-targets", c] as const,
  // The status is part of the key: a rollout that just finished is read once more, for good.
  progress: (c: string | null, id: string, status: string) => ["rollout-progress", c, id, status] as const,
  failures: (c: string | null, id: string, status: string) => ["rollout-failures", c, id, status] as const,
};

/** How often a running rollout's chart and failure reasons are re-read: the timeline moves by
 *  the minute, the reasons as devices fail. */
export const ANALYTICS_INTERVAL_MS = 5000;

/** The list: the cached copy at once, then the server's every few seconds while shown. */
export function useRollouts() {
  const active = useActiveConnection();
  const ready = useConnections().isSuccess;
  const cached = useQuery({
    queryKey: rolloutKeys.cached(active),
    queryFn: ipc.rolloutsCached,
    enabled: ready,
    staleTime: Infinity,
  });
  const live = useQuery({
    queryKey: rolloutKeys.live(active),
    queryFn: ipc.rolloutsRefresh,
    enabled: ready && active !== null,
    refetchInterval: 3000,
    retry: false,
  });
  return { cached, live, data: live.data ?? cached.data, active };
}

export function useRolloutDetail(id: string) {
  const active = useActiveConnection();
  return useQuery({
    queryKey: rolloutKeys.detail(active, id),
    queryFn: () => ipc.rolloutDetail(id),
    enabled: active !== null,
    refetchInterval: (q) => {
      const status = q.state.data?.rollout.status;
      return status === "completed" || status === "cancelled" ? 10_000 : LIVE_INTERVAL_MS;
    },
    retry: false,
  });
}

/** The progress-over-time chart's points; re-read while the rollout can still change, read once
 *  more when its status changes and not again once it is over (`live` false). Offline, the copy
 *  last fetched. */
export function useRolloutProgress(id: string, status: string, live: boolean) {
  const active = useActiveConnection();
  return useQuery({
    queryKey: rolloutKeys.progress(active, id, status),
    queryFn: () => ipc.rolloutProgress(id),
    enabled: active !== null,
    refetchInterval: live ? ANALYTICS_INTERVAL_MS : false,
    placeholderData: keepPreviousData,
    retry: false,
  });
}

/** The failure reasons panel's groups, like the chart. */
export function useRolloutFailures(id: string, status: string, live: boolean) {
  const active = useActiveConnection();
  return useQuery({
    queryKey: rolloutKeys.failures(active, id, status),
    queryFn: () => ipc.rolloutFailures(id),
    enabled: active !== null,
    refetchInterval: live ? ANALYTICS_INTERVAL_MS : false,
    placeholderData: keepPreviousData,
    retry: false,
  });
}

export function useTargets(enabled: boolean) {
  const active = useActiveConnection();
  return useQuery({ queryKey: rolloutKeys.targets(active), queryFn: ipc.rolloutTargets, enabled, retry: false });
}

/** An operator action; the answer replaces the cached rollout at once. */
export function useRolloutAction(id: string) {
  const active = useActiveConnection();
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ action, canary }: { action: RolloutAction; canary?: number }) =>
      ipc.rolloutAct(id, action, canary ?? null),
    onSuccess: (detail) => {
      client.setQueryData(rolloutKeys.detail(active, id), detail);
      void client.invalidateQueries({ queryKey: ["rollout-devices", active] });
      void client.invalidateQueries({ queryKey: ["rollouts"] });
    },
  });
}

/** "Retry failed devices": a new rollout over the completed one's failed devices. */
export function useRetryFailed(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => ipc.rolloutRetryFailed(id),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["rollouts"] }),
  });
}

// TanStack Query hooks over IPC. Query keys carry the active connection so switching
// connections never shows another server's data.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import * as ipc from "../ipc";

export const keys = {
  connections: ["connections"] as const,
  catalogCached: (c: string | null) => ["catalog", "cached", c] as const,
  catalogLive: (c: string | null) => ["catalog", "live", c] as const,
  packageDetail: (c: string | null, id: string) => ["package", c, id] as const,
  pendingUpload: (c: string | null) => ["pending-upload", c] as const,
  imageQuota: (c: string | null) => ["image-quota", c] as const,
  signingKeys: ["signing-keys"] as const,
};

export function useConnections() {
  return useQuery({ queryKey: keys.connections, queryFn: ipc.connectionsList });
}

/** The backend's one record that the server refused the active connection's token (revoked or
 *  expired), or null: the banner, the connection status, the status bar and every error line
 *  read it here. */
export function useTokenRefused() {
  return useConnections().data?.token_refused ?? null;
}

/** Whether a failure would only repeat the refused-token banner: an UNAUTHENTICATED answer
 *  while the banner shows. Screens then keep their cached data and add no error line of their
 *  own (only the active connection's calls carry its token; a new connection's test answers
 *  in its own form). */
export function useRepeatsTokenBanner(error: { code?: string } | null | undefined): boolean {
  const refused = useTokenRefused();
  return refused !== null && error?.code === "UNAUTHENTICATED";
}

export function useActiveConnection(): string | null {
  return useConnections().data?.active ?? null;
}

/** The catalog: the cached copy at once, then the server's (every 30 s while shown). */
export function useCatalog() {
  const active = useActiveConnection();
  const connections = useConnections();
  const ready = connections.isSuccess;
  const cached = useQuery({
    queryKey: keys.catalogCached(active),
    queryFn: ipc.catalogCached,
    enabled: ready,
    staleTime: Infinity,
  });
  const live = useQuery({
    queryKey: keys.catalogLive(active),
    queryFn: ipc.catalogRefresh,
    enabled: ready && active !== null,
    refetchInterval: 30_000,
    retry: false,
  });
  return { cached, live, data: live.data ?? cached.data, active };
}

/** Forget every connection-scoped answer (after adding or switching a connection). */
export function useResetConnectionData() {
  const client = useQueryClient();
  return () => client.invalidateQueries();
}

// Signing key queries shared by Settings and the upload wizard.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import * as ipc from "../ipc";
import { keys, useActiveConnection } from "../lib/queries";

const registrationsKey = (connection: string | null) => ["signing-key-registrations", connection] as const;

/** The keys on this computer (no passphrase needed to list them). */
export function useSigningKeys() {
  return useQuery({ queryKey: keys.signingKeys, queryFn: ipc.signingKeys });
}

/** Which of them the active connection's tenant trusts; an error when it cannot be asked. */
export function useKeyRegistrations() {
  const active = useActiveConnection();
  return useQuery({
    queryKey: registrationsKey(active),
    queryFn: ipc.signingKeyRegistrations,
    enabled: active !== null,
    retry: false,
  });
}

/** Refetch both after a key was created, imported or registered. */
export function useRefreshKeys() {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: keys.signingKeys }),
      client.invalidateQueries({ queryKey: ["signing-key-registrations"] }),
    ]);
}

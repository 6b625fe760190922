// Whether the active connection may read the audit log (admins and support): the sidebar hides
// the Audit entry otherwise, and the audit screen offers the filter's choices from it.
import { useQuery } from "@tanstack/react-query";
import * as ipc from "../ipc";
import { useActiveConnection, useConnections } from "./queries";

export function useAuditAccess() {
  const active = useActiveConnection();
  const ready = useConnections().isSuccess;
  return useQuery({
    queryKey: ["audit-access", active],
    queryFn: ipc.auditAccess,
    enabled: ready,
    staleTime: Infinity,
    retry: false,
  });
}

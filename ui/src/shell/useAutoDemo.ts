// First launch from `cargo xtask run` with nothing configured: start the local demo fleet, so a
// newcomer sees a catalog, rollouts and devices at once instead of an empty Settings page.
import { useEffect, useRef, useState } from "react";
import * as ipc from "../ipc";
import { useConnections, useResetConnectionData } from "../lib/queries";

export type AutoDemo = "idle" | "starting" | "failed";

export function useAutoDemo(requested: boolean | undefined): AutoDemo {
  const connections = useConnections();
  const reset = useResetConnectionData();
  const tried = useRef(false);
  const [state, setState] = useState<AutoDemo>("idle");
  const data = connections.data;
  const unconfigured = data !== undefined && data.connections.length === 0 && data.active === null;
  useEffect(() => {
    if (!requested || tried.current || !unconfigured || !data?.demo_available) return;
    tried.current = true;
    setState("starting");
    ipc
      .demoStart()
      .then(() => {
        setState("idle");
        return reset();
      })
      .catch(() => setState("failed"));
  }, [requested, unconfigured, data?.demo_available, reset]);
  return state;
}

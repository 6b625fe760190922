// What the app's background side tells the UI: a click on an auto-pause notification opens that
// rollout; a rollout event from the server refreshes what shows rollouts and devices; a rebuilt
// cache refreshes everything; a rate-limited call is shown until it is sent again; a token the
// server refused brings the connection's record (banner, status) in again.
import { useEffect } from "react";
import { useQueryClient } from "@tanstack/react-query";
import * as ipc from "../ipc";
import { keys } from "./queries";
import { rateLimited } from "./rateLimit";
import { routeHash } from "./route";

const LIVE_PREFIXES = ["rollout", "device"];

export function useAppEvents(navigate: (hash: string) => void) {
  const client = useQueryClient();
  useEffect(() => {
    void ipc
      .appEventsSubscribe((event) => {
        if (event.type === "open_rollout") {
          navigate(routeHash("rollouts", event.rollout_id));
        } else if (event.type === "rate_limited") {
          rateLimited(event.call, event.retry_in_seconds);
        } else if (event.type === "token_refused") {
          void client.invalidateQueries({ queryKey: keys.connections });
        } else if (event.type === "cache_rebuilt") {
          // The damaged cache was replaced by an empty one: everything shown comes again.
          void client.invalidateQueries();
        } else {
          // Progress ticks only move rollout counters; transitions can change any device.
          const prefixes = event.kind === "progress" ? ["rollout"] : LIVE_PREFIXES;
          void client.invalidateQueries({
            predicate: (q) => {
              const head = q.queryKey[0];
              return typeof head === "string" && prefixes.some((p) => head.startsWith(p));
            },
          });
        }
      })
      .catch(() => {
        // Without the subscription the app still works; it only misses live nudges.
      });
  }, [client, navigate]);
}

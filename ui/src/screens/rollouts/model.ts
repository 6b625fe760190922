// Names and colours of rollout and device states, shared by the list, the view and the table.
import type { DeviceStateCounts } from "../../bindings/DeviceStateCounts";

export const ROLLOUT_STATUS_LABEL: Record<string, string> = {
  active: "Active",
  paused: "Paused",
  rolling_back: "Rolling back",
  completed: "Completed",
};

/** Per-device states in the order of the stacked bar: done first, trouble last, waiting after. */
export const DEVICE_STATES = [
  "successful",
  "in_progress",
  "command_sent",
  "scheduled",
  "failed",
  "timed_out",
] as const satisfies readonly (keyof DeviceStateCounts)[];

export type DeviceState = (typeof DEVICE_STATES)[number];

export const DEVICE_STATE_LABEL: Record<DeviceState | "pending", string> = {
  successful: "Successful",
  in_progress: "In progress",
  command_sent: "Command sent",
  scheduled: "Scheduled",
  failed: "Failed",
  timed_out: "Timed out",
  pending: "Not in slice yet",
};

/** The device states the table can filter by (the server's `state` parameter). */
export const FILTERABLE_STATES = [...DEVICE_STATES, "pending"] as const;

export function sumCounts(c: DeviceStateCounts): number {
  return DEVICE_STATES.reduce((n, s) => n + c[s], 0);
}

/** "12.5 %" with one decimal below 10 and none above. */
export function formatRate(p: number): string {
  if (p === 0) return "0 %";
  return p < 10 ? `${p.toFixed(1)} %` : `${Math.round(p)} %`;
}

/** A trigger as a person reads it in the history. */
export const TRIGGER_LABEL: Record<string, string> = {
  start: "started",
  pause: "paused",
  auto_pause: "auto-paused (failure threshold exceeded)",
  resume: "resumed",
  advance: "advanced",
  rollback: "rollback started",
  all_succeeded: "completed (all devices successful)",
  rollback_finished: "rollback finished",
};

// Names and colours of rollout and device states, shared by the list, the view and the table.
import type { DeviceStateCounts } from "../../bindings/DeviceStateCounts";
import type { RolloutItem } from "../../bindings/RolloutItem";

export const ROLLOUT_STATUS_LABEL: Record<string, string> = {
  scheduled: "Scheduled",
  active: "Active",
  paused: "Paused",
  rolling_back: "Rolling back",
  completed: "Completed",
  cancelled: "Cancelled",
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
  finished_with_failures: "completed (every device decided, some failed)",
  rollback_finished: "rollback finished",
  schedule: "scheduled (starts at its start time)",
  start_at_reached: "started at its start time",
  cancel: "cancelled",
};

/** How a rollout's state reads, with its outcome once completed: a rolled-back rollout is
 *  never shown as a green success, and one with failures says how many. `cls` picks the
 *  colour: `s-<status>` while running, `o-<outcome>` once completed (`s-completed`, green,
 *  only for a clean success or an outcome the server did not give). */
export function statusView(r: Pick<RolloutItem, "status" | "outcome" | "counters">): { label: string; cls: string } {
  if (r.status !== "completed" || !r.outcome || r.outcome === "succeeded")
    return { label: r.outcome === "succeeded" ? "Succeeded" : (ROLLOUT_STATUS_LABEL[r.status] ?? r.status), cls: `s-${r.status}` };
  if (r.outcome === "rolled_back") return { label: "Rolled back", cls: "o-rolled_back" };
  const failed = r.counters.failed + r.counters.timed_out;
  return { label: `Completed · ${failed} failed`, cls: `o-${r.outcome}` };
}

/** The devices the rollback took back to the rollback version (null before any rollback). */
export function backOnRollback(r: Pick<RolloutItem, "rollback_counters">): { back: number; of: number } | null {
  const rb = r.rollback_counters;
  return rb ? { back: rb.successful, of: sumCounts(rb) } : null;
}

/** "12 of 40 devices failed (30 %), above the 20 % threshold": the numbers a confirmation
 *  states before Advance or Resume at or above the threshold. */
export function thresholdSentence(r: Pick<RolloutItem, "counters" | "in_slice" | "failure_rate_percent" | "failure_threshold_percent">): string {
  const failed = r.counters.failed + r.counters.timed_out;
  const where = r.failure_rate_percent > r.failure_threshold_percent ? "above" : "at";
  return `${failed} of ${r.in_slice} devices failed (${formatRate(r.failure_rate_percent)}), ${where} the ${r.failure_threshold_percent} % threshold.`;
}

const STRATEGY_NAME = { canary: "Canary", rolling: "Rolling", all_at_once: "All at once" } as Record<string, string>;

/** "Phase 2 of 4 at 10 %" for a phased plan (it rides on the canary strategy), "Canary at 5 %" otherwise. */
export function strategyLine(r: Pick<RolloutItem, "strategy" | "canary_percent" | "phase">): string {
  if (r.phase) return `Phase ${r.phase.index + 1} of ${r.phase.count} at ${r.canary_percent} %`;
  const name = STRATEGY_NAME[r.strategy] ?? r.strategy;
  return r.strategy === "all_at_once" ? name : `${name} at ${r.canary_percent} %`;
}

// Seed 001's OTA statuses as people read them.

export const OTA_STATUSES = ["idle", "updating", "completed", "failed"] as const;

const LABELS: Record<string, string> = {
  idle: "Idle",
  updating: "Updating",
  completed: "Updated",
  failed: "Failed",
};

export function statusLabel(status: string): string {
  return LABELS[status] ?? status;
}

/** The rollout's finer per-device state, in words. */
export function rolloutStateLabel(state: string | null): string {
  switch (state) {
    case "scheduled":
      return "scheduled, waiting for its command";
    case "command_sent":
      return "command sent, waiting for the device";
    case "in_progress":
      return "in progress";
    case "successful":
      return "successful";
    case "failed":
      return "failed";
    case "timed_out":
      return "timed out (no verdict before the deadline)";
    default:
      return state ?? "—";
  }
}

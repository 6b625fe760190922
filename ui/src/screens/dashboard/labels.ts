// The dashboard's words: rollout states, cached kinds, and the fleet chart's summary.
import type { DashboardRollout } from "../../bindings/DashboardRollout";
import type { FleetVersionCount } from "../../bindings/FleetVersionCount";

/** A rollout's state as the dashboard names it: a pause says whether the rollout paused itself. */
export function stateLabel(r: Pick<DashboardRollout, "auto_paused"> & { rollout: { status: string } }): string {
  switch (r.rollout.status) {
    case "scheduled":
      return "Scheduled";
    case "active":
      return "Active";
    case "paused":
      return r.auto_paused ? "Auto-paused" : "Paused";
    case "rolling_back":
      return "Rolling back";
    case "completed":
      return "Completed";
    case "cancelled":
      return "Cancelled";
    default:
      return r.rollout.status;
  }
}

/** What each cached kind is called on the dashboard. */
export const KIND_LABELS: Record<string, string> = {
  packages: "Packages",
  rollouts: "Rollouts",
  devices: "Devices",
  device_history: "Device history entries",
  fleet_versions: "Fleet version counts",
  audit: "Audit log entries",
};

/** The fleet chart in words (a canvas says nothing to a screen reader). */
export function fleetSummary(versions: FleetVersionCount[]): string {
  if (versions.length === 0) return "No devices counted yet.";
  const byType = new Map<string, string[]>();
  for (const v of versions) {
    const list = byType.get(v.device_type) ?? [];
    list.push(`${v.devices.toLocaleString("en")} on ${v.firmware_version}`);
    byType.set(v.device_type, list);
  }
  const parts = [...byType].map(([type, list]) => `${type}: ${list.join(", ")}`);
  return `Firmware versions per device type. ${parts.join("; ")}.`;
}

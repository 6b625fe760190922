import type { CacheSummary } from "../../bindings/CacheSummary";
import type { Dashboard } from "../../bindings/Dashboard";
import { rolloutItem } from "../rollouts/fixtures";

export const dashboard = (over: Partial<Dashboard> = {}): Dashboard => ({
  connection: "prod",
  rollouts: [
    {
      rollout: rolloutItem({ id: "rol_paused", status: "paused", failure_rate_percent: 25, at_or_above_threshold: true, target: "lab" }),
      paused_at: "2026-11-23T10:04:00Z",
      auto_paused: true,
    },
    { rollout: rolloutItem({ id: "rol_active", package_version: "2.1.0" }), paused_at: null, auto_paused: false },
  ],
  auto_pauses: [{ rollout_id: "rol_paused", at: "2026-11-23T10:04:00Z", package_version: "2.0.0", target: "lab", status: "paused" }],
  fleet_versions: [
    { device_type: "temp-sensor", firmware_version: "2.0.0", devices: 20 },
    { device_type: "temp-sensor", firmware_version: "1.0.0", devices: 4 },
    { device_type: "gateway", firmware_version: "1.9.0", devices: 4 },
  ],
  fleet_synced_at_ms: new Date(2026, 10, 23, 14, 5).getTime(),
  fresh: true,
  synced_at_ms: new Date(2026, 10, 23, 14, 5).getTime(),
  offline_reason: null,
  ...over,
});

export const cacheSummary: CacheSummary = {
  connection: "prod",
  kinds: [
    { kind: "packages", count: 2, synced_at_ms: new Date(2026, 10, 23, 14, 5).getTime() },
    { kind: "rollouts", count: 5, synced_at_ms: new Date(2026, 10, 23, 14, 5).getTime() },
    { kind: "devices", count: 1234567, synced_at_ms: null },
    { kind: "device_history", count: 0, synced_at_ms: null },
    { kind: "fleet_versions", count: 3, synced_at_ms: new Date(2026, 10, 23, 14, 5).getTime() },
    { kind: "audit", count: 40, synced_at_ms: null },
  ],
};

import type { RolloutDetail } from "../../bindings/RolloutDetail";
import type { RolloutItem } from "../../bindings/RolloutItem";

export const rolloutItem = (over: Partial<RolloutItem> = {}): RolloutItem => ({
  id: "rol_1",
  status: "active",
  outcome: null,
  retry_of: null,
  allow_downgrade: false,
  package_id: "new",
  package_version: "2.0.0",
  rollback_package_id: "old",
  rollback_version: "1.4.2",
  target: "temp-sensor-v2",
  strategy: "canary",
  canary_percent: 10,
  failure_threshold_percent: 10,
  batch_percent: null,
  force: false,
  eligible_count: 40,
  in_slice: 20,
  pending: 20,
  skipped_count: 2,
  counters: { scheduled: 1, command_sent: 2, in_progress: 3, successful: 12, failed: 2, timed_out: 0 },
  rollback_counters: null,
  failure_rate_percent: 10,
  at_or_above_threshold: false,
  created_by: "release-bot",
  created_at: "2026-11-23T10:00:00Z",
  updated_at: "2026-11-23T10:05:00Z",
  ...over,
});

export const detail = (over: Partial<RolloutDetail> = {}, item: Partial<RolloutItem> = {}): RolloutDetail => ({
  rollout: rolloutItem(item),
  transitions: [
    { from: null, to: "active", trigger: "start", actor: "alice", actor_role: "release-manager", canary_percent: 10, at: "2026-11-23T10:00:00Z" },
  ],
  actions: ["pause", "advance", "rollback"],
  actions_note: null,
  role: "release-manager",
  rollback_reach: 17,
  retry_failed: 0,
  fresh: true,
  synced_at_ms: null,
  offline_reason: null,
  ...over,
});

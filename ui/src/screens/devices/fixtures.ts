// Test data for the devices screen.
import type { DeviceDetail } from "../../bindings/DeviceDetail";
import type { DeviceListItem } from "../../bindings/DeviceListItem";
import type { DeviceOverview } from "../../bindings/DeviceOverview";
import type { HistoryEntry } from "../../bindings/HistoryEntry";

export const device = (over: Partial<DeviceListItem> = {}): DeviceListItem => ({
  id: "dev_01abc",
  name: "sensor-001",
  device_type: "temp-sensor",
  profile_id: "prof_1",
  current_version: "1.4.2",
  target_version: "2.0.0",
  ota_status: "failed",
  progress: 75,
  last_update_at: "2026-11-23T10:05:00Z",
  last_seen_at: null,
  user_agent: null,
  ...over,
});

export const overview = (over: Partial<DeviceOverview> = {}): DeviceOverview => ({
  connection: "prod",
  total: 120_000,
  versions: [
    { value: "1.4.2", count: 100_000 },
    { value: "2.0.0", count: 20_000 },
  ],
  states: [
    { value: "idle", count: 90_000 },
    { value: "completed", count: 20_000 },
    { value: "failed", count: 10_000 },
  ],
  fresh: true,
  synced_at_ms: new Date(2026, 10, 23, 14, 5).getTime(),
  offline_reason: null,
  ...over,
});

export const entry = (over: Partial<HistoryEntry> = {}): HistoryEntry => ({
  seq: 1,
  kind: "report",
  rollout_id: "rol_9",
  package_id: null,
  package_version: null,
  command_id: null,
  status: null,
  message: null,
  progress: null,
  firmware_version: null,
  at: "2026-11-23T10:00:00Z",
  ...over,
});

export const failedHistory: HistoryEntry[] = [
  entry({
    seq: 6,
    status: "INSTALL_ERROR",
    message: "Not enough memory (required: 1024MB, available: 512MB).",
    firmware_version: "1.4.2",
    at: "2026-11-23T10:05:00Z",
  }),
  entry({ seq: 5, status: "DOWNLOAD_STEP", progress: 75, firmware_version: "1.4.2", at: "2026-11-23T10:04:00Z" }),
  entry({ seq: 4, kind: "command_acked", command_id: "cmd_1", at: "2026-11-23T10:03:30Z" }),
  entry({
    seq: 3,
    kind: "command",
    status: "ota_start",
    package_id: "pkg_2",
    package_version: "2.0.0",
    command_id: "cmd_1",
    at: "2026-11-23T10:03:00Z",
  }),
  entry({ seq: 2, kind: "assigned", package_id: "pkg_2", package_version: "2.0.0", at: "2026-11-23T10:02:00Z" }),
  entry({
    seq: 1,
    kind: "version_changed",
    rollout_id: "rol_1",
    firmware_version: "1.4.2",
    message: "1.3.0 -> 1.4.2",
    at: "2026-11-20T09:00:00Z",
  }),
];

export const detail = (over: Partial<DeviceDetail> = {}): DeviceDetail => ({
  device: device(),
  profile_name: "Greenhouse sensors",
  rollout: {
    rollout_id: "rol_9",
    label: "temp-sensor 2.0.0",
    state: "failed",
    last_status: "INSTALL_ERROR",
    last_message: "Not enough memory",
  },
  history: failedHistory,
  fresh: true,
  synced_at_ms: new Date(2026, 10, 23, 14, 5).getTime(),
  offline_reason: null,
  download_url_expires_at: null,
  ...over,
});

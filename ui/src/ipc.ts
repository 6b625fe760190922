// The one way the UI talks to the Rust side. Every command failure arrives as `{code, message}`
// (the same error shape as the fleet API), so screens can branch on `code` and show `message`.
// Argument and result types come from ui/src/bindings/ (generated from the Rust DTOs).
import { Channel, invoke } from "@tauri-apps/api/core";
import type { AppEvent } from "./bindings/AppEvent";
import type { AppInfo } from "./bindings/AppInfo";
import type { Catalog } from "./bindings/Catalog";
import type { ConnectionCheck } from "./bindings/ConnectionCheck";
import type { ConnectionList } from "./bindings/ConnectionList";
import type { DeviceDetail } from "./bindings/DeviceDetail";
import type { DeviceOverview } from "./bindings/DeviceOverview";
import type { DevicePage } from "./bindings/DevicePage";
import type { DeviceSearch } from "./bindings/DeviceSearch";
import type { HashedFile } from "./bindings/HashedFile";
import type { HashProgress } from "./bindings/HashProgress";
import type { IpcError } from "./bindings/IpcError";
import type { NewConnection } from "./bindings/NewConnection";
import type { PackageDetail } from "./bindings/PackageDetail";
import type { PendingUpload } from "./bindings/PendingUpload";
import type { SigningKeyInfo } from "./bindings/SigningKeyInfo";
import type { UploadEvent } from "./bindings/UploadEvent";
import type { UploadOutcome } from "./bindings/UploadOutcome";
import type { UploadRequest } from "./bindings/UploadRequest";
import type { DeviceWindow } from "./bindings/DeviceWindow";
import type { DeviceWindowRequest } from "./bindings/DeviceWindowRequest";
import type { PlanPreview } from "./bindings/PlanPreview";
import type { RolloutAction } from "./bindings/RolloutAction";
import type { RolloutDetail } from "./bindings/RolloutDetail";
import type { RolloutList } from "./bindings/RolloutList";
import type { RolloutPlan } from "./bindings/RolloutPlan";
import type { StartedRollout } from "./bindings/StartedRollout";
import type { TargetProfile } from "./bindings/TargetProfile";
import type { ImportSigningKey } from "./bindings/ImportSigningKey";
import type { KeyRegistration } from "./bindings/KeyRegistration";
import type { KeyRegistrations } from "./bindings/KeyRegistrations";
import type { NewSigningKey } from "./bindings/NewSigningKey";

export type AppError = IpcError;
export type { AppInfo };

export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AppError).code === "string" &&
    typeof (value as AppError).message === "string"
  );
}

/** Invoke a Tauri command; rejects with an `AppError` whatever went wrong. */
export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    if (isAppError(err)) throw err;
    throw { code: "INTERNAL", message: String(err) } satisfies AppError;
  }
}

function channel<T>(onMessage: (message: T) => void): Channel<T> {
  const ch = new Channel<T>();
  ch.onmessage = onMessage;
  return ch;
}

export const appInfo = () => call<AppInfo>("app_info");

export const connectionsList = () => call<ConnectionList>("connections_list");
export const connectionTest = (url: string, token: string) =>
  call<ConnectionCheck>("connection_test", { url, token });
export const connectionAdd = (connection: NewConnection) =>
  call<null>("connection_add", { connection });
export const connectionSwitch = (name: string) => call<null>("connection_switch", { name });
export const connectionRemove = (name: string) => call<null>("connection_remove", { name });
export const demoStart = () => call<null>("demo_start");
export const demoStop = () => call<null>("demo_stop");

export const catalogCached = () => call<Catalog>("catalog_cached");
export const catalogRefresh = () => call<Catalog>("catalog_refresh");
export const packageDetail = (id: string) => call<PackageDetail>("package_detail", { id });

export const pickFile = () => call<string | null>("pick_file");
export const hashFile = (path: string, onProgress: (p: HashProgress) => void) =>
  call<HashedFile>("hash_file", { path, onProgress: channel(onProgress) });
export const signingKeys = () => call<SigningKeyInfo[]>("signing_keys");
export const uploadPackage = (request: UploadRequest, onEvent: (e: UploadEvent) => void) =>
  call<UploadOutcome>("upload_package", { request, onEvent: channel(onEvent) });
export const uploadPause = () => call<null>("upload_pause");
export const uploadCancel = () => call<null>("upload_cancel");
export const pendingUpload = () => call<PendingUpload | null>("pending_upload");
export const pendingUploadDiscard = () => call<null>("pending_upload_discard");

export const rolloutsCached = () => call<RolloutList>("rollouts_cached");
export const rolloutsRefresh = () => call<RolloutList>("rollouts_refresh");
export const rolloutDetail = (id: string) => call<RolloutDetail>("rollout_detail", { id });
export const rolloutDevices = (request: DeviceWindowRequest) =>
  call<DeviceWindow>("rollout_devices", { request });
export const rolloutTargets = () => call<TargetProfile[]>("rollout_targets");
export const rolloutPreview = (plan: RolloutPlan) => call<PlanPreview>("rollout_preview", { plan });
export const rolloutStart = (plan: RolloutPlan) => call<StartedRollout>("rollout_start", { plan });
export const rolloutAct = (id: string, action: RolloutAction, canaryPercent: number | null = null) =>
  call<RolloutDetail>("rollout_act", { id, action, canaryPercent });
export const rolloutRetryFailed = (id: string) => call<StartedRollout>("rollout_retry_failed", { id });
export const firstPaint = () => call<null>("first_paint");

// Signing keys (Settings and the wizard's signing step).
export const pickKeyFile = () => call<string | null>("pick_key_file");
export const signingKeyCreate = (key: NewSigningKey) => call<SigningKeyInfo>("signing_key_create", { key });
export const signingKeyImport = (key: ImportSigningKey) => call<SigningKeyInfo>("signing_key_import", { key });
export const signingKeyRegistrations = () => call<KeyRegistrations>("signing_key_registrations");
export const signingKeyRegister = (keyId: string) => call<KeyRegistration>("signing_key_register", { keyId });
export const devicesSearch = (search: DeviceSearch) => call<DevicePage>("devices_search", { search });
export const devicesOverview = () => call<DeviceOverview>("devices_overview");
export const devicesRefresh = () => call<DeviceOverview>("devices_refresh");
export const deviceDetail = (id: string, refresh: boolean) =>
  call<DeviceDetail>("device_detail", { id, refresh });
export const deviceHistoryExport = (id: string) => call<string | null>("device_history_export", { id });
export const appEventsSubscribe = (onEvent: (e: AppEvent) => void) =>
  call<null>("app_events_subscribe", { onEvent: channel(onEvent) });

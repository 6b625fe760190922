// The one way the UI talks to the Rust side. Every command failure arrives as `{code, message}`
// (the same error shape as the fleet API), so screens can branch on `code` and show `message`.
import { invoke } from "@tauri-apps/api/core";

export interface AppError {
  code: string;
  message: string;
}

export interface AppInfo {
  name: string;
  version: string;
}

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

export const appInfo = () => call<AppInfo>("app_info");

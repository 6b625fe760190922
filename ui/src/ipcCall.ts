// How every command is invoked: a failure always arrives as `{code, message}` (the same error
// shape as the fleet API, `code` one of the stable `ErrorCode`s), so screens can branch on
// `code` and show `message`. The typed command functions that use this are generated into
// bindings/commands.ts from the Rust commands.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { IpcError } from "./bindings/IpcError";

export type AppError = IpcError;

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

/** A channel whose messages go to `onMessage` (progress and event streams). */
export function channel<T>(onMessage: (message: T) => void): Channel<T> {
  const ch = new Channel<T>();
  ch.onmessage = onMessage;
  return ch;
}

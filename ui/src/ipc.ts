// The one way the UI talks to the Rust side: the command functions generated from the Rust
// commands (bindings/commands.ts), the error shape, and the window's file drops.
import { getCurrentWebview } from "@tauri-apps/api/webview";
import type { AppInfo } from "./bindings/AppInfo";

export * from "./bindings/commands";
export { isAppError, type AppError } from "./ipcCall";
export type { AppInfo };

/** What the window reports while files are dragged over it and dropped. */
export type FileDragEvent =
  | { type: "enter" | "over" | "leave" }
  | { type: "drop"; paths: string[] };

/**
 * Listens for files dragged over and dropped on the window: the webview gives real paths (an
 * HTML5 File has none, and the app hashes and uploads the file in place). Resolves to the
 * function that stops listening.
 */
export async function onFileDrag(handler: (event: FileDragEvent) => void): Promise<() => void> {
  const stop = await getCurrentWebview().onDragDropEvent(({ payload }) => {
    if (payload.type === "drop") handler({ type: "drop", paths: payload.paths });
    else handler({ type: payload.type });
  });
  // Tauri's unlisten function returns a promise although typed as returning nothing.
  return () => {
    Promise.resolve()
      .then(stop)
      .catch((err: unknown) => console.warn("could not stop listening for dropped files:", err));
  };
}

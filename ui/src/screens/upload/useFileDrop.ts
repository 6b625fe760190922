// Files dropped on the window. Tauri gives real paths through the webview's drag-drop event
// (an HTML5 File has no path, and the app needs one to hash and upload the file in place).
// Listening needs the `core:event:allow-listen` / `allow-unlisten` permissions, nothing more.
import { useEffect, useRef, useState } from "react";
import { getCurrentWebview } from "@tauri-apps/api/webview";

export type DropResult = { path: string } | { error: string };

/** Whether files are being dragged over the window; `onDrop` gets the dropped file's path. */
export function useFileDrop(onDrop: (result: DropResult) => void): boolean {
  const [hovering, setHovering] = useState(false);
  const latest = useRef(onDrop);
  latest.current = onDrop;

  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let gone = false;
    const listen = async () =>
      getCurrentWebview().onDragDropEvent(({ payload }) => {
        if (payload.type === "enter" || payload.type === "over") setHovering(true);
        else if (payload.type === "leave") setHovering(false);
        else if (payload.type === "drop") {
          setHovering(false);
          const [first, ...rest] = payload.paths;
          if (!first) return;
          latest.current(rest.length > 0 ? { error: "Drop one file at a time: one build makes one package." } : { path: first });
        }
      });
    listen()
      .then((stop) => {
        if (gone) stopListening(stop);
        else unlisten = stop;
      })
      .catch((err: unknown) => {
        // Without the listener only the "Choose file…" button works; say why in the console.
        console.warn("drag and drop is unavailable:", err);
      });
    return () => {
      gone = true;
      if (unlisten) stopListening(unlisten);
    };
  }, []);

  return hovering;
}

// Tauri's unlisten function returns a promise although typed as returning nothing.
function stopListening(stop: () => unknown) {
  Promise.resolve()
    .then(stop)
    .catch((err: unknown) => console.warn("could not stop listening for dropped files:", err));
}

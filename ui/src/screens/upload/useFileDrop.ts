// Files dropped on the window, through ipc.ts's `onFileDrag` (the webview's real paths).
// Listening needs the `core:event:allow-listen` / `allow-unlisten` permissions, nothing more.
import { useEffect, useRef, useState } from "react";
import { onFileDrag } from "../../ipc";

export type DropResult = { path: string } | { error: string };

/** Whether files are being dragged over the window; `onDrop` gets the dropped file's path. */
export function useFileDrop(onDrop: (result: DropResult) => void): boolean {
  const [hovering, setHovering] = useState(false);
  const latest = useRef(onDrop);
  latest.current = onDrop;

  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let gone = false;
    onFileDrag((event) => {
      if (event.type === "enter" || event.type === "over") setHovering(true);
      else if (event.type === "leave") setHovering(false);
      else if (event.type === "drop") {
        setHovering(false);
        const [first, ...rest] = event.paths;
        if (!first) return;
        latest.current(rest.length > 0 ? { error: "Drop one file at a time: one build makes one package." } : { path: first });
      }
    })
      .then((stop) => {
        if (gone) stop();
        else unlisten = stop;
      })
      .catch((err: unknown) => {
        // Without the listener only the "Choose file…" button works; say why in the console.
        console.warn("drag and drop is unavailable:", err);
      });
    return () => {
      gone = true;
      unlisten?.();
    };
  }, []);

  return hovering;
}

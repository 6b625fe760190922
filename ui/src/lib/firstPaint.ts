// Tells the Rust side when the first screen has been painted, once per app start. The app
// ignores it unless started with AIRLIFT_EXIT_AFTER_FIRST_PAINT=1 (bench/desk-startup.sh, which
// measures cold start to first paint and the app's memory).
import { useEffect } from "react";
import { firstPaint } from "../ipc";

let reported = false;

/** Call from the start screen with `ready` = its cached data is rendered. */
export function useReportFirstPaint(ready: boolean) {
  useEffect(() => {
    if (!ready || reported) return;
    reported = true;
    // The effect runs after React committed the DOM; the first animation frame callback runs
    // before that frame is painted, the second one after it.
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        firstPaint().catch(() => {});
      }),
    );
  }, [ready]);
}

/** For tests: forget that the first paint was reported. */
export function resetFirstPaintForTests() {
  reported = false;
}

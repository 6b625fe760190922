// Progress over time as a chart: a rollout's device counts per minute turned into uPlot's
// columns (one pass, typed arrays, so a week of minutes stays cheap), the chart's options with
// the device-state colours of tokens.css, and the sentence a screen reader gets instead.
import type uPlot from "uplot";
import type { ChartOptions } from "./Chart";
import { formatInstant, timeAxis } from "./timeAxis";

/** Device counts as they stood at the end of one minute (the server's timeline point). */
export interface CountPoint {
  /** The minute, RFC 3339 with seconds zero. */
  at: string;
  succeeded: number;
  failed: number;
  in_progress: number;
  pending: number;
}

/** The three lines drawn, in series order after the time axis. */
export const PROGRESS_SERIES = [
  { key: "succeeded", label: "Succeeded", token: "--d-successful" },
  { key: "failed", label: "Failed", token: "--d-failed" },
  { key: "in_progress", label: "In progress", token: "--d-in_progress" },
] as const;

/** A colour named in tokens.css, as the canvas needs it (it cannot read CSS variables); grey
 *  where the styles are not loaded (unit tests). */
export function tokenColor(name: string): string {
  if (typeof document === "undefined") return "gray";
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || "gray";
}

/**
 * The chart's columns: time in Unix seconds, then succeeded, failed and in progress.
 *
 * A point holds the counts at the end of its minute, so it is drawn there, but never after
 * `lastChangeMs` (the rollout's last change: the newest minute is not over yet) and never
 * before its minute began. A first point of zeros at `startMs` (the rollout's creation) shows
 * where it started. Times never go backwards.
 */
export function progressData(points: readonly CountPoint[], startMs: number | null, lastChangeMs: number | null): uPlot.AlignedData {
  const lead = startMs !== null && Number.isFinite(startMs) ? 1 : 0;
  const n = points.length + lead;
  const xs = new Float64Array(n);
  const columns = PROGRESS_SERIES.map(() => new Float64Array(n));
  const cap = lastChangeMs !== null && Number.isFinite(lastChangeMs) ? lastChangeMs / 1000 : Infinity;
  let previous = -Infinity;
  if (lead) {
    xs[0] = Math.floor((startMs as number) / 1000);
    previous = xs[0];
  }
  points.forEach((p, i) => {
    const minute = Date.parse(p.at) / 1000;
    const x = Math.max(previous, minute, Math.min(minute + 60, cap));
    xs[i + lead] = x;
    previous = x;
    PROGRESS_SERIES.forEach((s, c) => {
      columns[c][i + lead] = p[s.key];
    });
  });
  return [xs, ...columns];
}

/** What the chart shows, in words: the span and the latest counts. */
export function progressSummary(points: readonly CountPoint[], clock: (ms: number) => string): string {
  if (points.length === 0) return "Progress over time: no device has been told anything yet.";
  const first = points[0];
  const last = points[points.length - 1];
  const total = last.succeeded + last.failed + last.in_progress + last.pending;
  const span =
    points.length === 1 ? `at ${clock(Date.parse(last.at))}` : `from ${clock(Date.parse(first.at))} to ${clock(Date.parse(last.at))}`;
  return (
    `Progress over time ${span}, ${points.length} point${points.length === 1 ? "" : "s"}: ` +
    `${last.succeeded} succeeded, ${last.failed} failed, ${last.in_progress} in progress` +
    ` and ${last.pending} not told yet of ${total} devices.`
  );
}

/** Device counts on the y axis are whole numbers. */
function wholeTicks(_u: uPlot, ticks: number[]): string[] {
  return ticks.map((t) => (Number.isInteger(t) ? String(t) : ""));
}

/** The chart's options (build once and memoize: the chart is made anew for new options). */
export function progressOptions(): ChartOptions {
  const muted = tokenColor("--muted");
  const grid = tokenColor("--border");
  const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    scales: {
      x: { time: true },
      // From zero, and at least to 1 so an empty rollout still draws an axis.
      y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.05))] },
    },
    // The time axis reads "14:05:30" for a rollout of minutes and "8 Dec" for one of days.
    axes: [{ ...axis, ...timeAxis }, { ...axis, values: wholeTicks, size: 44 }],
    series: [
      { value: (_u: uPlot, v: number | null) => (v === null ? "–" : formatInstant(v)) },
      ...PROGRESS_SERIES.map((s) => ({
        label: s.label,
        stroke: tokenColor(s.token),
        width: 2,
        // Failed is dashed: where it runs level with succeeded, both stay visible.
        dash: s.key === "failed" ? [7, 4] : undefined,
        points: { size: 5 },
        value: (_u: uPlot, v: number | null) => (v === null ? "–" : String(v)),
      })),
    ],
    cursor: { drag: { x: true, y: false } },
    legend: { show: true },
  };
}

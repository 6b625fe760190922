// When a rollout may act: its start time (now, or a date and time in this computer's zone),
// a maintenance window in an IANA zone, and per-device retries. Typed as text, checked here in
// the server's terms (rollouts/request.rs, airlift-core `maintenance_window`, `retry_policy`)
// with sentences that say what to change.
import type { PlanRetry } from "../../../bindings/PlanRetry";
import type { PlanWindow } from "../../../bindings/PlanWindow";
import { formatDuration, parseDuration } from "../../../lib/duration";

export const DAYS = [
  ["mon", "Mon"],
  ["tue", "Tue"],
  ["wed", "Wed"],
  ["thu", "Thu"],
  ["fri", "Fri"],
  ["sat", "Sat"],
  ["sun", "Sun"],
] as const;
export type Day = (typeof DAYS)[number][0];

export interface ScheduleDraft {
  /** "now", or "at": `startDate` + `startTime` in this computer's time zone. */
  startMode: "now" | "at";
  /** YYYY-MM-DD */
  startDate: string;
  /** HH:MM (24 h) */
  startTime: string;
  windowOn: boolean;
  windowDays: Day[];
  windowStart: string;
  windowEnd: string;
  /** IANA name; the computer's zone unless chosen. */
  windowZone: string;
  retryOn: boolean;
  /** Attempts in all, the first included. */
  retryAttempts: string;
  /** The wait before the second attempt ("5m"); it doubles for each further one. */
  retryBackoff: string;
}

export type ScheduleField = keyof ScheduleDraft;
export type ScheduleProblems = Partial<Record<ScheduleField, string>>;

/** The server's bounds (rollouts/request.rs, airlift-core `retry_policy`). */
export const MAX_START_DELAY_MS = 366 * 86400 * 1000;
export const MAX_ATTEMPTS = 10;
export const MAX_BACKOFF_SECONDS = 86400;

export function emptySchedule(zone: string): ScheduleDraft {
  return {
    startMode: "now",
    startDate: "",
    startTime: "",
    windowOn: false,
    windowDays: ["mon", "tue", "wed", "thu", "fri"],
    windowStart: "02:00",
    windowEnd: "05:00",
    windowZone: zone,
    retryOn: false,
    retryAttempts: "3",
    retryBackoff: "5m",
  };
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export interface StartProblem {
  field: "startDate" | "startTime";
  message: string;
}

/** The start as a time, from a date and a wall-clock time in this computer's zone, or what is
 *  wrong with them. A date that does not exist (31 April) or a time skipped by a DST change
 *  does not round-trip and is refused rather than moved. */
export function startInstant(date: string, time: string): Date | StartProblem {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  if (!d) return { field: "startDate", message: `Enter the start date as YYYY-MM-DD (e.g. 2026-12-24), not "${date.trim()}".` };
  const t = HHMM.exec(time.trim());
  if (!t) return { field: "startTime", message: `Enter the start time as HH:MM, 24-hour (e.g. 02:00), not "${time.trim()}".` };
  const [y, mo, da] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const [h, mi] = [Number(t[1]), Number(t[2])];
  const at = new Date(y, mo - 1, da, h, mi);
  if (at.getFullYear() !== y || at.getMonth() !== mo - 1 || at.getDate() !== da)
    return { field: "startDate", message: `${date.trim()} is not a date in the calendar.` };
  if (at.getHours() !== h || at.getMinutes() !== mi)
    return {
      field: "startTime",
      message: `${time.trim()} does not exist on ${date.trim()} here (the clocks skip it for daylight saving time); pick another time.`,
    };
  return at;
}

/** RFC 3339 UTC, seconds precision: what `start_at` takes. */
export function rfc3339(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function scheduleProblems(s: ScheduleDraft, nowMs: number): ScheduleProblems {
  const p: ScheduleProblems = {};
  if (s.startMode === "at") {
    if (!s.startDate.trim()) p.startDate = "Enter the start date (YYYY-MM-DD), or choose Now.";
    else if (!s.startTime.trim()) p.startTime = "Enter the start time (HH:MM, 24-hour).";
    else {
      const at = startInstant(s.startDate, s.startTime);
      if (!(at instanceof Date)) p[at.field] = at.message;
      else if (at.getTime() <= nowMs) p.startTime = "That time has passed: pick a time in the future, or choose Now.";
      else if (at.getTime() - nowMs > MAX_START_DELAY_MS) p.startDate = "A rollout can be scheduled at most a year ahead.";
    }
  }
  if (s.windowOn) {
    if (s.windowDays.length === 0) p.windowDays = "Tick at least one day the window opens on.";
    if (!HHMM.test(s.windowStart.trim())) p.windowStart = `Opening time is HH:MM, 24-hour (e.g. 02:00), not "${s.windowStart.trim()}".`;
    if (!HHMM.test(s.windowEnd.trim())) p.windowEnd = `Closing time is HH:MM, 24-hour (e.g. 05:00), not "${s.windowEnd.trim()}".`;
    else if (s.windowEnd.trim() === s.windowStart.trim())
      p.windowEnd = "Opening and closing at the same time leaves no window; to allow any time, untick the window.";
    if (!s.windowZone.trim()) p.windowZone = "Choose the time zone the window's hours are in.";
  }
  if (s.retryOn) {
    const a = s.retryAttempts.trim();
    if (!/^\d+$/.test(a) || Number(a) < 2 || Number(a) > MAX_ATTEMPTS)
      p.retryAttempts = `Attempts in all (the first included) is a whole number from 2 to ${MAX_ATTEMPTS}, not "${a}"; untick retries for one attempt.`;
    const b = parseDuration(s.retryBackoff);
    if (b === null) p.retryBackoff = `"${s.retryBackoff.trim()}" is not a duration: write 30s, 5m or 1h.`;
    else if (b < 1) p.retryBackoff = "The first wait must be at least 1 second (e.g. 30s or 5m).";
    else if (b > MAX_BACKOFF_SECONDS) p.retryBackoff = `The first wait can be at most 1 day, not ${formatDuration(b)}.`;
  }
  return p;
}

/** Whether the window closes the next morning (its end is before its start). */
export function overnight(s: ScheduleDraft): boolean {
  return HHMM.test(s.windowStart.trim()) && HHMM.test(s.windowEnd.trim()) && s.windowEnd.trim() < s.windowStart.trim();
}

/** "Mon–Fri", "Sat, Sun", "every day". */
export function daysText(days: readonly string[]): string {
  const order = DAYS.map(([d]) => d as string);
  const idx = days.map((d) => order.indexOf(d)).filter((i) => i >= 0).sort((a, b) => a - b);
  if (idx.length === 7) return "every day";
  const label = (i: number) => DAYS[i][1];
  const runs: string[] = [];
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1] === idx[j] + 1) j++;
    runs.push(j - i >= 2 ? `${label(idx[i])}–${label(idx[j])}` : idx.slice(i, j + 1).map(label).join(", "));
    i = j + 1;
  }
  return runs.join(", ");
}

/** "told again after 5 min, then 10 min, then 20 min" for `attempts` attempts in all. */
export function backoffText(attempts: number, backoffSeconds: number): string {
  const waits = Array.from({ length: Math.max(0, attempts - 1) }, (_, i) => formatDuration(backoffSeconds * 2 ** i));
  return waits.length ? `told again after ${waits.join(", then ")}` : "no retry";
}

export function toStartAt(s: ScheduleDraft): string | null {
  if (s.startMode !== "at") return null;
  const at = startInstant(s.startDate, s.startTime);
  return at instanceof Date ? rfc3339(at) : null;
}

export function toWindow(s: ScheduleDraft): PlanWindow | null {
  if (!s.windowOn) return null;
  const order = DAYS.map(([d]) => d as string);
  return {
    timezone: s.windowZone.trim(),
    days: [...s.windowDays].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
    start: s.windowStart.trim(),
    end: s.windowEnd.trim(),
  };
}

export function toRetry(s: ScheduleDraft): PlanRetry | null {
  if (!s.retryOn) return null;
  return { max_attempts: Number(s.retryAttempts.trim()), backoff_seconds: parseDuration(s.retryBackoff) ?? 0 };
}

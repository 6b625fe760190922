// A time axis a person can read, from half a minute to weeks: ticks on round local times (every
// 5 s, 15 min, 6 h, midnight…) labelled "14:05:30" while the step is seconds, "14:05" while it
// is minutes or hours, and "8 Dec" from a day up. uPlot picks the step from TIME_INCRS (the
// smallest whose ticks stay `TIME_SPACE` pixels apart); these functions place and word the
// ticks. Times are Unix seconds, as the charts' x columns hold them.
import type uPlot from "uplot";

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

/** The steps a time axis may take, in seconds. */
export const TIME_INCRS = [
  1,
  2,
  5,
  10,
  15,
  30,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  28 * DAY,
];

/** Pixels between two ticks at least: room for "14:05:30" and a gap. */
export const TIME_SPACE = 70;

/** No axis needs more; a guard against a step too small for its span. */
const MAX_TICKS = 500;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const two = (n: number) => String(n).padStart(2, "0");

/** Seconds east of UTC of this computer's zone at `sec`. */
const offsetAt = (sec: number) => -new Date(sec * 1000).getTimezoneOffset() * 60;

/**
 * The ticks of [min, max] with step `incr`: every multiple of the step in local time (a minute
 * step falls on whole local minutes, an hour step on local hours 0, 3, 6… of each day, a day
 * step on local midnights, counted from the first one in range). Daylight saving moves hour and
 * day ticks with the clock, as a person's watch does.
 */
export function timeSplits(min: number, max: number, incr: number): number[] {
  if (!(incr > 0) || !Number.isFinite(min) || !Number.isFinite(max) || max < min) return [];
  if ((max - min) / incr > MAX_TICKS) return [];
  const ticks: number[] = [];
  if (incr < HOUR) {
    // The offset at `min` serves the whole span: a daylight-saving change moves it by an hour
    // (half an hour in one zone), a multiple of every step under an hour.
    const offset = offsetAt(min);
    for (let t = Math.ceil((min + offset) / incr) * incr - offset; t <= max; t += incr) ticks.push(t);
    return ticks;
  }
  const d = new Date(min * 1000);
  if (incr < DAY) {
    const hours = incr / HOUR;
    d.setMinutes(0, 0, 0);
    d.setHours(Math.ceil((d.getHours() + (d.getTime() < min * 1000 ? 1 : 0)) / hours) * hours);
    // A day's ticks restart at midnight, so a step that does not divide 24 h still lines up.
    while (d.getTime() / 1000 <= max) {
      ticks.push(d.getTime() / 1000);
      const next = d.getHours() + hours;
      if (next >= 24) d.setHours(24, 0, 0, 0);
      else d.setHours(next);
    }
    return ticks;
  }
  const days = Math.round(incr / DAY);
  d.setHours(0, 0, 0, 0);
  if (d.getTime() < min * 1000) d.setDate(d.getDate() + 1);
  while (d.getTime() / 1000 <= max) {
    ticks.push(d.getTime() / 1000);
    d.setDate(d.getDate() + days);
  }
  return ticks;
}

/** "8 Dec" in local time. */
export function formatDay(sec: number): string {
  const d = new Date(sec * 1000);
  return `${d.getDate()} ${MONTHS[d.getMonth()]}`;
}

/**
 * The ticks' labels for step `incr`: "14:05:30" under a minute, "14:05" under a day, "8 Dec"
 * from a day up. Under a day, an axis that spans more than one local day says the date too, on
 * a second line under the first tick and under each tick of a new day.
 */
export function timeLabels(ticks: readonly number[], incr: number): string[] {
  if (incr >= DAY) return ticks.map(formatDay);
  const days = ticks.map(formatDay);
  const manyDays = days.some((day) => day !== days[0]);
  return ticks.map((t, i) => {
    const d = new Date(t * 1000);
    const clock = `${two(d.getHours())}:${two(d.getMinutes())}${incr < MINUTE ? `:${two(d.getSeconds())}` : ""}`;
    return manyDays && (i === 0 || days[i] !== days[i - 1]) ? `${clock}\n${days[i]}` : clock;
  });
}

/** A time as the chart's legend says it: "2026-12-08 14:05:30", local. */
export function formatInstant(sec: number): string {
  const d = new Date(sec * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The x axis's options for a time scale in seconds (merge with the axis's colours). */
export const timeAxis: Pick<uPlot.Axis, "space" | "incrs" | "splits" | "values"> = {
  space: TIME_SPACE,
  incrs: TIME_INCRS,
  splits: (_u, _axis, min, max, incr) => timeSplits(min, max, incr),
  values: (_u, ticks, _axis, _space, incr) => timeLabels(ticks, incr),
};

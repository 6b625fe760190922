import { describe, expect, it } from "vitest";
import { progressOptions } from "./timeSeries";
import { formatDay, formatInstant, TIME_INCRS, TIME_SPACE, timeAxis, timeLabels, timeSplits } from "./timeAxis";

/** Local wall-clock time as Unix seconds (so the tests hold in any zone). */
const at = (day: number, h: number, m = 0, s = 0) => new Date(2026, 11, day, h, m, s).getTime() / 1000;

/** The step uPlot takes: the smallest of TIME_INCRS whose ticks stay TIME_SPACE pixels apart. */
const stepFor = (span: number, width: number) => TIME_INCRS.find((incr) => (width * incr) / span >= TIME_SPACE)!;

/** The labels of an axis `width` pixels wide over [min, max]. */
function axis(min: number, max: number, width = 600) {
  const incr = stepFor(max - min, width);
  const ticks = timeSplits(min, max, incr);
  return { incr, ticks, labels: timeLabels(ticks, incr) };
}

describe("the time axis", () => {
  it("says seconds for a rollout of half a minute", () => {
    const { incr, labels } = axis(at(8, 14, 5, 2), at(8, 14, 5, 32));
    expect(incr).toBe(5);
    expect(labels).toEqual(["14:05:05", "14:05:10", "14:05:15", "14:05:20", "14:05:25", "14:05:30"]);
  });

  it("says whole half minutes for a rollout of a few minutes", () => {
    const { incr, labels } = axis(at(8, 14, 5, 10), at(8, 14, 8, 40));
    expect(incr).toBe(30);
    expect(labels).toEqual(["14:05:30", "14:06:00", "14:06:30", "14:07:00", "14:07:30", "14:08:00", "14:08:30"]);
  });

  it("says hours and minutes for a rollout of hours", () => {
    const { incr, labels } = axis(at(8, 9, 50), at(8, 12, 10));
    expect(incr).toBe(30 * 60);
    expect(labels).toEqual(["10:00", "10:30", "11:00", "11:30", "12:00"]);
  });

  it("adds the date under the first tick and under each new day's when hours span days", () => {
    const { incr, labels } = axis(at(8, 20), at(10, 4));
    expect(incr).toBe(6 * 3600);
    expect(labels).toEqual(["00:00\n9 Dec", "06:00", "12:00", "18:00", "00:00\n10 Dec"]);
  });

  it("says dates for a rollout of days", () => {
    const { incr, labels } = axis(at(1, 10), at(20, 10));
    expect(incr).toBe(7 * 86_400);
    expect(labels).toEqual(["2 Dec", "9 Dec", "16 Dec"]);
    expect(axis(at(1, 10), at(6, 10)).labels).toEqual(["2 Dec", "3 Dec", "4 Dec", "5 Dec", "6 Dec"]);
  });

  it("names every tick unmistakably and keeps ticks apart, from 30 seconds to weeks", () => {
    const start = at(8, 14, 5, 17);
    for (const span of [30, 45, 90, 180, 600, 3600, 4 * 3600, 86_400, 3 * 86_400, 14 * 86_400]) {
      for (const width of [300, 600, 1200]) {
        const { ticks, labels } = axis(start, start + span, width);
        const what = `${span} s on ${width} px: ${labels.join(" | ")}`;
        expect(ticks.length, what).toBeGreaterThan(0);
        expect(ticks.length, what).toBeLessThanOrEqual(Math.floor(width / TIME_SPACE) + 1);
        // Read left to right, a label with the last date said before it names its tick's time.
        let day: string | null = null;
        const read = labels.map((label, i) => {
          const [first, second] = label.split("\n");
          if (/^\d+ [A-Z][a-z]{2}$/.test(first)) day = first;
          else if (second) day = second;
          expect(day === null || day === formatDay(ticks[i]), what).toBe(true);
          expect(formatInstant(ticks[i]), what).toContain(first.includes(":") ? first : "");
          return `${day} ${first}`;
        });
        expect(new Set(read).size, what).toBe(read.length);
        ticks.forEach((t) => {
          expect(t).toBeGreaterThanOrEqual(start);
          expect(t).toBeLessThanOrEqual(start + span);
        });
      }
    }
  });

  it("lines a step that does not divide a day up with midnight", () => {
    // 3-hour steps are on 00, 03, 06…; a tick on the very start counts.
    expect(timeLabels(timeSplits(at(8, 3), at(8, 13), 3 * 3600), 3 * 3600)).toEqual(["03:00", "06:00", "09:00", "12:00"]);
  });

  it("draws nothing for an empty or impossible step", () => {
    expect(timeSplits(at(8, 1), at(8, 2), 0)).toEqual([]);
    expect(timeSplits(at(8, 2), at(8, 1), 60)).toEqual([]);
    expect(timeSplits(at(8, 1), at(9, 1), 1)).toEqual([]);
    expect(timeSplits(at(8, 1), at(8, 1), 60)).toEqual([at(8, 1)]);
  });

  it("says a day and an instant in the app's words, and is what the axis options call", () => {
    expect(formatDay(at(8, 14))).toBe("8 Dec");
    expect(formatInstant(at(8, 14, 5, 30))).toBe("2026-12-08 14:05:30");
    const splits = timeAxis.splits as (...a: unknown[]) => number[];
    const values = timeAxis.values as (...a: unknown[]) => string[];
    const ticks = splits(null, 0, at(8, 14, 0, 1), at(8, 14, 1), 15, 80);
    expect(values(null, ticks, 0, 80, 15)).toEqual(["14:00:15", "14:00:30", "14:00:45", "14:01:00"]);
  });

  it("is the progress chart's x axis, and its legend says the instant", () => {
    const options = progressOptions();
    const x = options.axes![0];
    expect(x.splits).toBe(timeAxis.splits);
    expect(x.values).toBe(timeAxis.values);
    expect(x.incrs).toBe(TIME_INCRS);
    const legend = options.series[0].value as (u: unknown, v: number | null) => string;
    expect(legend(null, at(8, 14, 5, 30))).toBe("2026-12-08 14:05:30");
  });
});

// Bar charts on uPlot: one bar per category on a categorical x axis, coloured by group (the
// fleet's firmware versions, coloured by device type). uPlot draws on a canvas, which takes
// no CSS variables: the colours are read from tokens.css when the options are made.
// Before uPlot: a language tag Intl refuses (LANG=C) would make uPlot's import throw.
import "./locale";
import uPlot from "uplot";
import type { ChartOptions } from "./Chart";

/** Bars for a chart: x positions 0…n-1, one series per group holding its bars' values (null
 *  at the other groups' positions), and a label per position. */
export interface Bars {
  data: uPlot.AlignedData;
  /** The label under each bar. */
  labels: string[];
  /** The groups in series order (the legend). */
  groups: string[];
}

/** One bar per item, in the items' order, grouped (and coloured) by `group`. */
export function groupedBars<T>(items: T[], group: (item: T) => string, label: (item: T) => string, value: (item: T) => number): Bars {
  const groups = [...new Set(items.map(group))];
  const x = items.map((_, i) => i);
  const series = groups.map((g) => items.map((item) => (group(item) === g ? value(item) : null)));
  return { data: [x, ...series] as uPlot.AlignedData, labels: items.map(label), groups };
}

/** How many series colours tokens.css names (`--series-1` …). */
export const SERIES_COLOURS = 6;

/** The value of a CSS variable on the document (a canvas needs the colour itself). */
export function cssColour(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** The colour of series `i` (they repeat after [`SERIES_COLOURS`]). */
export function seriesColour(i: number): string {
  return cssColour(`--series-${(i % SERIES_COLOURS) + 1}`, "#2563eb");
}

/** Options for a [`Bars`] chart: each label under its bar, counts on the y axis from 0, a
 *  legend naming the groups. Memoize the result (the chart is rebuilt when it changes). */
export function barOptions(bars: Pick<Bars, "labels" | "groups">, yLabel: string): ChartOptions {
  const text = cssColour("--muted", "#5b6472");
  const grid = cssColour("--border", "#e2e5ea");
  const { labels, groups } = bars;
  return {
    scales: {
      x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] },
      y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
    },
    axes: [
      {
        stroke: text,
        grid: { show: false },
        ticks: { show: false },
        splits: () => labels.map((_, i) => i),
        values: (_u, splits) => splits.map((i) => labels[Math.round(i)] ?? ""),
      },
      { stroke: text, label: yLabel, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
    ],
    series: [
      { label: "" },
      ...groups.map((g, i) => ({
        label: g,
        fill: seriesColour(i),
        stroke: seriesColour(i),
        width: 0,
        points: { show: false },
        paths: uPlot.paths.bars?.({ size: [0.6, 56], align: 0 as const }),
      })),
    ],
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    legend: { show: true, live: false },
  };
}

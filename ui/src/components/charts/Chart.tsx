import { useEffect, useRef } from "react";
// Before uPlot: it reads navigator.language when it loads (see locale.ts).
import "./locale";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** Options of a chart without its size: the wrapper sizes it to its container. */
export type ChartOptions = Omit<uPlot.Options, "width" | "height">;

/**
 * One uPlot chart sized to the width of its container.
 *
 * uPlot draws on a canvas and stays fast with many thousands of points; the
 * wrapper only owns the instance's life: it is created once per `options`
 * object (memoize it), fed new `data` in place, resized with its container and
 * destroyed on unmount. The canvas is not readable by a screen reader, so
 * `summary` says in words what the chart shows.
 */
export function Chart({
  options,
  data,
  height,
  summary,
}: {
  options: ChartOptions;
  data: uPlot.AlignedData;
  height: number;
  summary: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latestData = useRef(data);
  latestData.current = data;

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const width = Math.max(element.clientWidth, 100);
    const instance = new uPlot({ ...options, width, height }, latestData.current, element);
    plot.current = instance;
    const resize = new ResizeObserver(() => {
      instance.setSize({ width: Math.max(element.clientWidth, 100), height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      instance.destroy();
      plot.current = null;
    };
  }, [options, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure className="chart" aria-label={summary}>
      <div ref={container} className="chart-canvas" />
      <figcaption className="visually-hidden">{summary}</figcaption>
    </figure>
  );
}

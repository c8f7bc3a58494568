import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import type { SeriesView } from "../runtime/wire/dashboard.js";
import { formatClockSpan, formatRate } from "./format.js";
import { useElementWidth, useTheme } from "./hooks.js";
import type { Theme } from "./theme.js";

const HEIGHT = 150;

/** The run's throughput and queue depth over time (SeriesView: a point a second, the whole run). */
export function SeriesCharts({ series }: { series: SeriesView }) {
  return (
    <div class="charts">
      <SeriesChart title="Throughput" unit="jobs/s" t={series.t} values={series.throughput} colourVariable="--accent" />
      <SeriesChart title="Queue depth" unit="jobs" t={series.t} values={series.queueDepth} colourVariable="--accent-2" />
    </div>
  );
}

interface SeriesChartProps {
  title: string;
  unit: string;
  t: number[];
  values: number[];
  /** The CSS variable holding the line's colour. */
  colourVariable: string;
}

/** One uPlot chart, made once (again when the colour scheme flips) and fed new data in place: the dashboard's series, the report's throughput. */
export function SeriesChart({ title, unit, t, values, colourVariable }: SeriesChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useTheme();
  const width = useElementWidth(box);
  const [hovered, setHovered] = useState<number | null>(null);
  const data = useRef<uPlot.AlignedData>([t, values]);
  data.current = [t, values];

  useEffect(() => {
    const element = box.current!;
    const colour = getComputedStyle(element).getPropertyValue(colourVariable).trim() || "#4e79a7";
    const options = chartOptions(theme, colour, title, element.clientWidth || 300, (index) => setHovered(index));
    plot.current = new uPlot(options, data.current, element);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [theme, colourVariable, title]);
  useEffect(() => plot.current?.setData([t, values]), [t, values]);
  useEffect(() => {
    if (width > 0) plot.current?.setSize({ width, height: HEIGHT });
  }, [width]);

  const index = hovered ?? values.length - 1;
  const value = values[index];
  return (
    <figure class="chart">
      <figcaption>
        <span>{title}</span>
        <span class="chart-value">
          {value === undefined ? "–" : `${formatRate(value)} ${unit}`}
          {hovered !== null && t[index] !== undefined && <span class="muted"> at {formatClockSpan(t[index]!)}</span>}
        </span>
      </figcaption>
      <div class="chart-plot" ref={box} />
    </figure>
  );
}

function chartOptions(theme: Theme, colour: string, title: string, width: number, onHover: (index: number | null) => void): uPlot.Options {
  const axis: uPlot.Axis = {
    stroke: theme.muted,
    font: `11px ${theme.font}`,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 },
  };
  return {
    width,
    height: HEIGHT,
    padding: [8, 18, 0, 0], // room on the right for the last time label
    legend: { show: false },
    cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 6, fill: colour } },
    // x: seconds since the run started, not a date.
    scales: { x: { time: false }, y: { range: (_plot, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { ...axis, size: 30, incrs: SECOND_STEPS, values: (_plot, splits) => splits.map(formatClockSpan) },
      { ...axis, size: 44, values: (_plot, splits) => splits.map(compact) },
    ],
    series: [{}, { label: title, stroke: colour, width: 1.5, fill: `${colour}22`, points: { show: false } }],
    hooks: { setCursor: [(plot) => onHover(plot.cursor.idx ?? null)] },
  };
}

/** Steps of the time axis: whole seconds, then round minutes and hours. */
const SECOND_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

/** An axis label: 950, 1.2k, 35k, 1.2M. */
function compact(n: number): string {
  if (Math.abs(n) >= 1e6) return `${Number((n / 1e6).toPrecision(2))}M`;
  if (Math.abs(n) >= 1e3) return `${Number((n / 1e3).toPrecision(2))}k`;
  return String(Number(n.toPrecision(3)));
}

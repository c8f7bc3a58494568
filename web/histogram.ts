import type { DurationHistogram } from "../runtime/wire/dashboard.js";
import { formatMs } from "./format.js";
import type { Theme } from "./theme.js";

/**
 * A function's job durations as a histogram: the buckets are ten a decade, so drawn at equal width
 * they make a log-scaled time axis. A pure drawing on a canvas (no Preact), reused by the static report.
 */
export interface HistogramOptions {
  theme: Theme;
  colour: string;
  /** The buckets drawn, first to last (indexes into `buckets`): shared by several histograms, their axes line up. Default: those with jobs. */
  range?: readonly [number, number];
  /** Vertical lines with a label, e.g. p50 and p95. */
  markers?: readonly { label: string; ms: number }[];
  /** CSS pixels; default the laid-out size. */
  width?: number;
  height?: number;
}

const AXIS_HEIGHT = 14;
/** Room above the bars for the markers' labels, so they never sit on a bar. */
const LABEL_HEIGHT = 12;

/** The buckets with jobs in any of `histograms`, widened by one each side and to at least a decade. */
export function bucketRange(histograms: readonly DurationHistogram[]): [number, number] {
  let first = Infinity;
  let last = -Infinity;
  for (const { buckets } of histograms)
    buckets.forEach((count, i) => {
      if (count > 0) {
        first = Math.min(first, i);
        last = Math.max(last, i);
      }
    });
  if (first > last) return [20, 40]; // no job yet: 1 ms to 100 ms
  const size = Math.max(...histograms.map(({ buckets }) => buckets.length));
  first = Math.max(0, first - 1);
  last = Math.min(size - 1, last + 1);
  while (last - first < 10) {
    if (first > 0) first--;
    if (last - first < 10 && last < size - 1) last++;
    if (first === 0 && last === size - 1) break;
  }
  return [first, last];
}

export function drawHistogram(
  canvas: HTMLCanvasElement,
  histogram: DurationHistogram,
  bounds: readonly number[],
  options: HistogramOptions,
): void {
  const { theme, colour, markers = [] } = options;
  const [first, last] = options.range ?? bucketRange([histogram]);
  const width = options.width ?? (canvas.clientWidth || 240);
  const height = options.height ?? (canvas.clientHeight || 64);
  const ratio = typeof devicePixelRatio === "number" ? devicePixelRatio : 1;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const context = canvas.getContext("2d");
  if (!context) return;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);

  const count = last - first + 1;
  const step = width / count;
  const plotHeight = height - AXIS_HEIGHT;
  const barsTop = markers.length > 0 ? LABEL_HEIGHT : 2;
  let tallest = 0;
  for (let i = first; i <= last; i++) tallest = Math.max(tallest, histogram.buckets[i] ?? 0);

  context.fillStyle = colour;
  for (let i = first; i <= last; i++) {
    const n = histogram.buckets[i] ?? 0;
    if (n === 0) continue;
    // At least 1 px, so a lone slow job still shows beside a million fast ones.
    const barHeight = Math.max(1, (n / tallest) * (plotHeight - barsTop));
    context.fillRect((i - first) * step + 0.5, plotHeight - barHeight, Math.max(1, step - 1), barHeight);
  }

  context.strokeStyle = theme.grid;
  context.lineWidth = 1;
  context.beginPath();
  context.moveTo(0, plotHeight + 0.5);
  context.lineTo(width, plotHeight + 0.5);
  context.stroke();

  // Decades on the axis: a bucket whose upper bound is a power of ten (1 ms, 10 ms, …) ends there.
  context.font = `10px ${theme.font}`;
  context.fillStyle = theme.muted;
  context.textBaseline = "top";
  context.textAlign = "center";
  for (let i = first; i <= last; i++) {
    const bound = bounds[i];
    if (bound === undefined || !Number.isInteger(Math.log10(bound))) continue;
    const x = (i - first + 1) * step;
    if (x < 16 || x > width - 16) continue;
    context.fillRect(Math.round(x), plotHeight, 1, 3);
    context.fillText(formatMs(bound), x, plotHeight + 3);
  }

  // Labels centred on their line, pushed apart when two would overlap (p50 and p95 in neighbouring buckets).
  context.textAlign = "center";
  context.textBaseline = "top";
  context.fillStyle = theme.text;
  let labelEnd = -Infinity;
  for (const { label, ms } of markers) {
    const x = position(ms, bounds, first) * step;
    if (x < 0 || x > width) continue;
    context.fillRect(Math.round(x), LABEL_HEIGHT - 1, 1, plotHeight - LABEL_HEIGHT + 1);
    const half = context.measureText(label).width / 2;
    const centre = Math.min(Math.max(x, labelEnd + half + 4, half), width - half);
    context.fillText(label, centre, 0);
    labelEnd = centre + half;
  }
}

/** Where `ms` falls on the axis, in buckets from `first`: log-interpolated inside its bucket. */
function position(ms: number, bounds: readonly number[], first: number): number {
  const i = bounds.findIndex((bound) => ms <= bound);
  if (i < 0) return bounds.length - first + 0.5;
  const upper = bounds[i]!;
  const lower = i > 0 ? bounds[i - 1]! : upper / 1.25;
  const within = ms <= lower ? 0 : Math.log(ms / lower) / Math.log(upper / lower);
  return i - first + within;
}

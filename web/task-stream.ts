import type { TaskSlice, WorkerView } from "../runtime/wire/dashboard.js";
import { formatTimeOfDay } from "./format.js";
import type { Theme } from "./theme.js";
import { compareWorkers, naturalOrder } from "./worker-order.js";

/**
 * The task stream: one row per worker, a bar per job from its start to its end, coloured by its
 * function, failures outlined in red, the jobs running now as paler bars growing to the right
 * edge. The time axis spans the `windowMs` before `now` and slides as `now` moves.
 *
 * A pure drawing on a canvas, no Preact and no connection: the live dashboard draws the last minute
 * with it, the HTML report of a journal (`strmbrkr report --html`) a whole run.
 */
export interface TaskStreamOptions {
  theme: Theme;
  /** A canvas colour for a function's bars. */
  colorOf: (fn: string) => string;
  /** Default 60 s. */
  windowMs?: number;
  /** CSS pixels the canvas is wide; default its laid-out width. */
  width?: number;
  /** Tallest a row gets (CSS px); rows shrink (to 3 px) so the drawing stays under `maxHeight`. */
  rowHeight?: number;
  maxHeight?: number;
  /** A time on the axis as a label; default the time of day ("14:03:27"). */
  timeLabel?: (t: number) => string;
  /** Grid lines fall on whole steps from this time: default 0, whole seconds of the clock; a run's start for elapsed time. */
  timeOrigin?: number;
}

/** What the drawing needs of a worker: its id (TaskSlice.worker), its machine, what it runs now; `label` names its row (default its id). */
export type TaskStreamWorker = Pick<WorkerView, "id" | "machine"> & { job?: WorkerView["job"]; label?: string };

const LABEL_WIDTH = 92;
const AXIS_HEIGHT = 20;
const TOP = 2;
/** Room for a line of text when there is no row to draw. */
const EMPTY_HEIGHT = 24;
/** Grid steps to choose from: the smallest that leaves room for a label (a minute's window takes 5 s to 15 s; a whole run, any). */
const TICK_STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
  1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];
const TICK_MIN_PX = 72;

interface Row {
  id: string;
  label: string;
  /** A worker no longer registered, still seen in the slices (it died, or was replaced). */
  gone: boolean;
}

/** Draws on `canvas` and sets its CSS height to fit the rows; returns the rows drawn, top to bottom. */
export function drawTaskStream(
  canvas: HTMLCanvasElement,
  slices: readonly TaskSlice[],
  workers: readonly TaskStreamWorker[],
  now: number,
  options: TaskStreamOptions,
): string[] {
  const {
    theme,
    colorOf,
    windowMs = 60_000,
    rowHeight: tallest = 18,
    maxHeight = 480,
    timeLabel = formatTimeOfDay,
    timeOrigin = 0,
  } = options;
  const rows = rowsOf(slices, workers);
  const rowHeight = Math.max(3, Math.min(tallest, Math.floor((maxHeight - AXIS_HEIGHT - TOP) / Math.max(1, rows.length))));
  const width = options.width ?? (canvas.clientWidth || 800);
  const plotBottom = TOP + (rows.length > 0 ? rows.length * rowHeight : EMPTY_HEIGHT);
  const height = plotBottom + AXIS_HEIGHT;
  const context = prepare(canvas, width, height);
  if (!context) return [];

  const plotLeft = LABEL_WIDTH;
  const plotWidth = Math.max(1, width - plotLeft);
  const from = now - windowMs;
  const x = (t: number) => plotLeft + ((t - from) / windowMs) * plotWidth;
  const rowIndex = new Map(rows.map((row, i) => [row.id, i]));
  const gap = rowHeight >= 8 ? 2 : rowHeight >= 5 ? 1 : 0;
  const barHeight = rowHeight - gap;
  const rowTop = (i: number) => TOP + i * rowHeight + gap / 2;

  drawGrid(context, theme, { x, from, now, plotLeft, plotBottom, width, rows: rows.length, rowHeight, timeLabel, timeOrigin });

  // Bars, merged per row: touching bars of one colour make one rectangle, and a bar that falls
  // wholly on pixels its row has painted already is skipped (jobs shorter than a pixel), so a row
  // costs at most about a rectangle a pixel however many jobs it ran. Then grouped by colour:
  // one fillStyle per function. Slices come in time order per worker (its jobs run one at a time).
  const byColour = new Map<string, number[]>();
  const failed: number[] = [];
  const runColour: (string | undefined)[] = new Array(rows.length);
  const runLeft = new Float64Array(rows.length);
  const runRight = new Float64Array(rows.length).fill(-Infinity);
  const flush = (row: number) => {
    const colour = runColour[row];
    if (colour === undefined) return;
    let rects = byColour.get(colour);
    if (!rects) byColour.set(colour, (rects = []));
    rects.push(runLeft[row]!, rowTop(row), runRight[row]! - runLeft[row]!);
  };
  for (const slice of slices) {
    const row = rowIndex.get(slice.worker);
    if (row === undefined || slice.end < from || slice.start > now) continue;
    const left = Math.max(plotLeft, x(slice.start));
    const right = Math.max(left + 1, x(Math.min(slice.end, now)));
    if (!slice.ok) failed.push(left, rowTop(row), right - left);
    if (right <= runRight[row]!) continue;
    const colour = colorOf(slice.fn);
    if (colour === runColour[row] && left <= runRight[row]! + 0.5) {
      runRight[row] = right;
      continue;
    }
    flush(row);
    runColour[row] = colour;
    runLeft[row] = left;
    runRight[row] = right;
  }
  for (let row = 0; row < rows.length; row++) flush(row);
  for (const [colour, rects] of byColour) {
    context.fillStyle = colour;
    for (let i = 0; i < rects.length; i += 3) context.fillRect(rects[i]!, rects[i + 1]!, rects[i + 2]!, barHeight);
  }
  // Failures: a red outline, or a red bar where the bar is too thin for an outline to show.
  context.strokeStyle = theme.failure;
  context.fillStyle = theme.failure;
  context.lineWidth = 1.5;
  for (let i = 0; i < failed.length; i += 3) {
    const [left, top, barWidth] = [failed[i]!, failed[i + 1]!, failed[i + 2]!];
    if (barWidth < 4 || barHeight < 5) context.fillRect(left, top, barWidth, barHeight);
    else context.strokeRect(left + 0.75, top + 0.75, barWidth - 1.5, barHeight - 1.5);
  }

  // What runs now: a pale bar from its start to the right edge, with a solid leading edge.
  for (const worker of workers) {
    const row = rowIndex.get(worker.id);
    if (!worker.job || row === undefined) continue;
    const left = Math.max(plotLeft, x(worker.job.since));
    const right = plotLeft + plotWidth;
    context.fillStyle = colorOf(worker.job.fn);
    context.globalAlpha = 0.35;
    context.fillRect(left, rowTop(row), Math.max(1, right - left), barHeight);
    context.globalAlpha = 1;
    context.fillRect(right - 2, rowTop(row), 2, barHeight);
  }

  drawLabels(context, theme, rows, rowHeight);
  if (rows.length === 0) {
    context.fillStyle = theme.muted;
    context.font = `12px ${theme.font}`;
    context.textAlign = "left";
    context.textBaseline = "middle";
    context.fillText("No worker registered yet.", 0, TOP + EMPTY_HEIGHT / 2);
  }
  return rows.map((row) => row.id);
}

/** The registered workers (local first, then by machine and id), then any gone worker the slices still show. */
function rowsOf(slices: readonly TaskSlice[], workers: readonly TaskStreamWorker[]): Row[] {
  const sorted = [...workers].sort(compareWorkers);
  const rows: Row[] = sorted.map((worker) => ({
    id: worker.id,
    label: worker.label ?? (worker.machine === "local" ? worker.id : `${worker.id} ${worker.machine}`),
    gone: false,
  }));
  const known = new Set(rows.map((row) => row.id));
  const gone = new Set<string>();
  for (const slice of slices) if (!known.has(slice.worker)) gone.add(slice.worker);
  for (const id of [...gone].sort(naturalOrder)) rows.push({ id, label: id, gone: true });
  return rows;
}

/** Sizes the canvas's backing store for the screen's pixel ratio (sharp on HiDPI) and clears it. */
function prepare(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D | null {
  const ratio = typeof devicePixelRatio === "number" ? devicePixelRatio : 1;
  const pixelWidth = Math.round(width * ratio);
  const pixelHeight = Math.round(height * ratio);
  if (canvas.width !== pixelWidth) canvas.width = pixelWidth;
  if (canvas.height !== pixelHeight) canvas.height = pixelHeight;
  canvas.style.height = `${height}px`;
  const context = canvas.getContext("2d");
  if (!context) return null;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  return context;
}

interface GridGeometry {
  x: (t: number) => number;
  from: number;
  now: number;
  plotLeft: number;
  plotBottom: number;
  width: number;
  rows: number;
  rowHeight: number;
  timeLabel: (t: number) => string;
  timeOrigin: number;
}

/** Row stripes, and a line every few seconds of wall-clock time (so they slide with the bars), labelled (the time of day, by default). */
function drawGrid(context: CanvasRenderingContext2D, theme: Theme, g: GridGeometry): void {
  const { plotBottom } = g;
  const pxPerMs = (g.x(g.now) - g.x(g.from)) / (g.now - g.from);
  const tick = TICK_STEPS_MS.find((step) => step * pxPerMs >= TICK_MIN_PX) ?? TICK_STEPS_MS.at(-1)!;
  context.fillStyle = theme.grid;
  context.globalAlpha = 0.35;
  for (let i = 1; i < g.rows; i += 2) context.fillRect(g.plotLeft, TOP + i * g.rowHeight, g.width - g.plotLeft, g.rowHeight);
  context.globalAlpha = 1;

  context.font = `11px ${theme.font}`;
  context.textBaseline = "top";
  context.textAlign = "center";
  context.strokeStyle = theme.grid;
  context.lineWidth = 1;
  context.beginPath();
  for (let t = firstTick(g, tick); t <= g.now; t += tick) {
    const x = Math.round(g.x(t)) + 0.5;
    context.moveTo(x, TOP);
    context.lineTo(x, plotBottom + 4);
  }
  context.moveTo(g.plotLeft, plotBottom + 0.5);
  context.lineTo(g.width, plotBottom + 0.5);
  context.stroke();

  context.fillStyle = theme.muted;
  for (let t = firstTick(g, tick); t <= g.now; t += tick) {
    const x = g.x(t);
    // Keep the labels whole: none cut by the label gutter or the right edge.
    if (x - 24 < g.plotLeft || x + 24 > g.width) continue;
    context.fillText(g.timeLabel(t), x, plotBottom + 6);
  }
}

/** The first grid line at or after the window's start: a whole number of steps from the origin. */
const firstTick = (g: GridGeometry, tick: number) => g.timeOrigin + Math.ceil((g.from - g.timeOrigin) / tick) * tick;

function drawLabels(context: CanvasRenderingContext2D, theme: Theme, rows: Row[], rowHeight: number): void {
  if (rowHeight < 9) return; // too thin to label each; the workers table names them
  context.font = `${Math.min(11, rowHeight - 3)}px ${theme.font}`;
  context.textAlign = "left";
  context.textBaseline = "middle";
  rows.forEach((row, i) => {
    context.fillStyle = row.gone ? theme.muted : theme.text;
    context.fillText(fit(context, row.gone ? `${row.label} (gone)` : row.label, LABEL_WIDTH - 10), 4, TOP + i * rowHeight + rowHeight / 2);
  });
}

/** `text`, cut with an ellipsis to `width` pixels. */
function fit(context: CanvasRenderingContext2D, text: string, width: number): string {
  if (text.length < 10 || context.measureText(text).width <= width) return text;
  let cut = text.length - 1;
  while (cut > 1 && context.measureText(`${text.slice(0, cut)}…`).width > width) cut--;
  return `${text.slice(0, cut)}…`;
}

import { describe } from "../util/describe.js";
import { EvenSample } from "../util/even-sample.js";
import { bucketOf, DURATION_BOUNDS_MS, type DurationHistogram, type FailureView, type TaskSlice } from "../wire/dashboard.js";
import type { FunctionSummary, RunSummary, SlowJob, WorkerSummary } from "../wire/journal-report.js";
import { decode } from "../wire/serialize.js";
import type { FinishedRecord, QueuedRecord, RunRecord } from "./journal-format.js";

/** One finished job placed in time: what the task stream and the trace draw. */
export interface JobSpan {
  /** RunSummary.index. */
  run: number;
  id: string;
  fn: string;
  pid?: number;
  start: number;
  end: number;
  ok: boolean;
}

/** How much of a run the summary keeps, whatever its size. */
export interface RunLimits {
  /** Task-stream slices kept (evenly thinned past it). */
  slices: number;
  /** Failures listed with their stacks. */
  failures: number;
}

const SLOWEST = 10;
const UNFINISHED_LISTED = 50;
/** Encoded arguments longer than this are not kept for the failures' view (the dashboard cuts them far shorter). */
const ARGS_KEPT_CHARS = 4096;
const ARGS_CHARS = 300;
const THROUGHPUT_POINTS = 300;
const STEPS_SECONDS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];

interface FunctionFigures {
  fn: string;
  queued: number;
  processed: number;
  failed: number;
  /** Integer milliseconds mostly (epoch ms differences): a packed array of small integers. */
  durations: number[];
  histogram: DurationHistogram;
}

/**
 * One run's part of a journal, read record by record: what it queued, what ended and how, who
 * ran it. Keeps a few numbers per job (its duration, its end) and a bounded sample of the rest;
 * `summary()` once the run's records are over.
 */
export class RunFigures {
  readonly #record: RunRecord;
  readonly #index: number;
  readonly #limits: RunLimits;
  readonly #onJob: ((span: JobSpan) => void) | undefined;
  /** Queued, not finished yet: id → function (and its encoded arguments, when short). */
  readonly #pending = new Map<string, { fn: string; args: string | number | undefined }>();
  readonly #functions = new Map<string, FunctionFigures>();
  readonly #workers = new Map<number, WorkerSummary>();
  readonly #slowest: SlowJob[] = [];
  readonly #failures: FailureView[] = [];
  readonly #ends: number[] = [];
  readonly #stream: EvenSample<TaskSlice>;
  #queued = 0;
  #end: number;

  constructor(record: RunRecord, index: number, limits: RunLimits, onJob?: (span: JobSpan) => void) {
    this.#record = record;
    this.#index = index;
    this.#limits = limits;
    this.#onJob = onJob;
    this.#end = record.at;
    this.#stream = new EvenSample(limits.slices);
  }

  queued({ id, fn, args }: QueuedRecord): void {
    this.#queued++;
    this.#figuresOf(fn).queued++;
    // Arguments too large to keep are named by their size alone: the view cuts them to ARGS_CHARS anyway.
    this.#pending.set(id, { fn, args: args === undefined || args.length <= ARGS_KEPT_CHARS ? args : args.length });
  }

  finished(record: FinishedRecord): void {
    const { id, status, started, processed, pid } = record;
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    const fn = pending?.fn ?? "(not queued in this run)";
    const figures = this.#figuresOf(fn);
    const ok = status === "processed";
    if (ok) figures.processed++;
    else figures.failed++;
    const start = started ?? record.delegated ?? processed;
    const end = processed ?? start;
    if (end !== undefined) {
      this.#ends.push(end);
      if (end > this.#end) this.#end = end;
    }
    const ms = started !== undefined && processed !== undefined ? Math.max(0, processed - started) : undefined;
    if (ms !== undefined) {
      figures.durations.push(ms);
      const { histogram } = figures;
      histogram.buckets[bucketOf(ms)]!++;
      histogram.count++;
      histogram.sumMs += ms;
      if (ms > histogram.maxMs) histogram.maxMs = ms;
      this.#noteSlow({ id, fn, ms, ...(pid === undefined ? {} : { pid }), status });
    }
    if (pid !== undefined) {
      let worker = this.#workers.get(pid);
      if (!worker) this.#workers.set(pid, (worker = { pid, jobs: 0, failed: 0, busyMs: 0 }));
      worker.jobs++;
      if (!ok) worker.failed++;
      worker.busyMs += ms ?? 0;
    }
    if (!ok && this.#failures.length < this.#limits.failures) this.#failures.push(failureView(record, fn, pending?.args, this.#record.at));
    if (start === undefined || end === undefined) return;
    if (pid !== undefined) this.#stream.add({ worker: String(pid), fn, start, end, ok });
    this.#onJob?.({ run: this.#index, id, fn, ...(pid === undefined ? {} : { pid }), start, end, ok });
  }

  summary(): RunSummary {
    const { script, bundle, at } = this.#record;
    const unfinishedByFn = new Map<string, number>();
    for (const { fn } of this.#pending.values()) unfinishedByFn.set(fn, (unfinishedByFn.get(fn) ?? 0) + 1);
    const functions = [...this.#functions.values()].map((figures) => functionSummary(figures, unfinishedByFn.get(figures.fn) ?? 0));
    const processed = functions.reduce((sum, fn) => sum + fn.processed, 0);
    const failed = functions.reduce((sum, fn) => sum + fn.failed, 0);
    return {
      index: this.#index,
      script,
      bundle,
      at,
      end: this.#end,
      queued: this.#queued,
      processed,
      failed,
      unfinished: this.#pending.size,
      unfinishedJobs: [...this.#pending].slice(0, UNFINISHED_LISTED).map(([id, { fn }]) => ({ id, fn })),
      functions,
      workers: [...this.#workers.values()].sort((a, b) => a.pid - b.pid),
      slowest: this.#slowest,
      failures: this.#failures,
      throughput: throughput(this.#ends, at, this.#end),
      stream: { slices: [...this.#stream.items], total: this.#stream.seen, kept: this.#stream.items.length },
    };
  }

  #figuresOf(fn: string): FunctionFigures {
    let figures = this.#functions.get(fn);
    if (!figures) {
      const histogram = { buckets: new Array<number>(DURATION_BOUNDS_MS.length + 1).fill(0), count: 0, sumMs: 0, maxMs: 0 };
      this.#functions.set(fn, (figures = { fn, queued: 0, processed: 0, failed: 0, durations: [], histogram }));
    }
    return figures;
  }

  /** Keeps the SLOWEST slowest, slowest first; most jobs are turned away by one comparison. */
  #noteSlow(job: SlowJob): void {
    const slowest = this.#slowest;
    if (slowest.length === SLOWEST && job.ms <= slowest[SLOWEST - 1]!.ms) return;
    let i = slowest.length;
    while (i > 0 && slowest[i - 1]!.ms < job.ms) i--;
    slowest.splice(i, 0, job);
    if (slowest.length > SLOWEST) slowest.pop();
  }
}

function functionSummary(figures: FunctionFigures, unfinished: number): FunctionSummary {
  const { fn, queued, processed, failed, histogram } = figures;
  const sorted = Float64Array.from(figures.durations).sort();
  const at = (q: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  return { fn, queued, processed, failed, unfinished, durations: { ...histogram, p50Ms: at(0.5), p95Ms: at(0.95) } };
}

/** Jobs ended per second, in the smallest step that keeps the run to THROUGHPUT_POINTS points. */
function throughput(ends: readonly number[], at: number, end: number): RunSummary["throughput"] {
  const spanSeconds = Math.max(0, end - at) / 1000;
  const stepSeconds = STEPS_SECONDS.find((step) => spanSeconds / step <= THROUGHPUT_POINTS) ?? STEPS_SECONDS.at(-1)!;
  const counts = new Array<number>(Math.floor(spanSeconds / stepSeconds) + 1).fill(0);
  for (const ended of ends) counts[Math.min(counts.length - 1, Math.max(0, Math.floor((ended - at) / 1000 / stepSeconds)))]!++;
  return {
    stepSeconds,
    t: counts.map((_, i) => Number((i * stepSeconds).toFixed(3))),
    perSecond: counts.map((count) => count / stepSeconds),
  };
}

function failureView(record: FinishedRecord, fn: string, args: string | number | undefined, runAt: number): FailureView {
  const { name = "Error", message = "", stack } = record.error ?? {};
  const at = record.processed ?? record.started ?? record.delegated ?? runAt;
  const view: FailureView = { id: record.id, fn, name, message, args: argsText(args), at };
  if (stack) view.stack = stack;
  return view;
}

/** The arguments as the dashboard shows them; a number: the length of encoded arguments too large to keep. */
function argsText(args: string | number | undefined): string {
  if (args === undefined) return "(not in the journal: over 64 KiB encoded)";
  if (typeof args === "number") return `(${Math.round((args * 3) / 4 / 1024)} KiB encoded: not shown)`;
  try {
    const text = describe(decode(Buffer.from(args, "base64")));
    return text.length > ARGS_CHARS ? `${text.slice(0, ARGS_CHARS - 1)}…` : text;
  } catch {
    return "(cannot be decoded)";
  }
}

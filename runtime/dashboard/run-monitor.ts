import type { EventEmitter } from "node:events";
import { describe } from "../util/describe.js";
import { runStats } from "../util/stats.js";
import {
  DURATION_BOUNDS_MS,
  type DashboardUpdate,
  type DurationHistogram,
  type FailureView,
  type FunctionView,
  type HubActivity,
  type SeriesView,
  type StoreView,
  type TaskSlice,
} from "../wire/dashboard.js";

/** Slices a page gets when it connects: the last minute of a busy run. */
const SLICES_KEPT = 2_000;
/** Points of the throughput and queue-depth charts: pairs merge as the run grows, so the whole run fits. */
const SERIES_POINTS = 600;
/** Seconds the rate (and so the ETA) of a function is measured over. */
const RATE_WINDOW_S = 10;
const ARGS_CHARS = 300;

export interface RunMonitorOptions {
  script: string;
  /** Emits "activity" (HubActivity) while the hub is watched. */
  hub: EventEmitter;
  /** The last lines of the log (log-tail.ts). */
  log: { readonly lines: string[] };
  /** The store's overview, when it runs; undefined otherwise (the dashboard never starts it). */
  store(): Promise<StoreView | undefined>;
}

/**
 * Everything the dashboard and /metrics show, in one place: the host's counters (runStats, the
 * progress line's own), the hub's last activity, and a second-by-second history. Bounded whatever
 * the run's length: aggregates, the last slices, a series that halves its resolution when full.
 */
export class RunMonitor {
  readonly startedAt = Date.now();
  state: DashboardUpdate["run"]["state"] = "running";
  #options: RunMonitorOptions;
  #activity?: HubActivity;
  /** The last slices, with the number of the newest: a page asks for those after the last it has. */
  #slices: TaskSlice[] = [];
  #sliceCount = 0;
  #series: SeriesView = { t: [], throughput: [], queueDepth: [] };
  /** How many seconds each series point spans. */
  #pointSeconds = 1;
  #pending = { throughput: 0, seconds: 0 };
  #lastEnded = 0;
  /** Ended jobs by function, a sample a second, for rates. */
  #history: Map<string, number>[] = [];
  #store?: StoreView;
  #timer: NodeJS.Timeout;
  #onActivity = (activity: HubActivity) => this.#take(activity);

  constructor(options: RunMonitorOptions) {
    this.#options = options;
    options.hub.on("activity", this.#onActivity);
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.#timer.unref();
  }

  get script(): string {
    return this.#options.script;
  }

  /** The hub's last report; once the run stopped, with nothing running (it may be a second old). */
  get activity(): HubActivity | undefined {
    return this.state === "stopped" && this.#activity ? settled(this.#activity) : this.#activity;
  }

  get store(): StoreView | undefined {
    return this.#store;
  }

  /** Slices numbered after `since` (at most the last SLICES_KEPT), and the number of the newest. */
  slicesAfter(since: number): { slices: TaskSlice[]; last: number } {
    const fresh = Math.min(this.#sliceCount - since, this.#slices.length);
    return { slices: fresh > 0 ? this.#slices.slice(this.#slices.length - fresh) : [], last: this.#sliceCount };
  }

  /** The page's update; `slices` are the caller's to choose (slicesAfter). */
  update(slices: TaskSlice[]): DashboardUpdate {
    const activity = this.activity;
    const running = activity ? Object.values(activity.running).reduce((sum, count) => sum + count, 0) : 0;
    const update: DashboardUpdate = {
      run: { script: this.#options.script, pid: process.pid, startedAt: this.startedAt, now: Date.now(), state: this.state },
      totals: { queued: runStats.queued, running, done: runStats.processed, failed: runStats.failed, waiting: activity?.waiting ?? 0 },
      functions: this.functions(),
      series: this.#series,
      workers: activity?.workers ?? [],
      slices,
      failures: runStats.failures.map(failureView).reverse(),
      log: this.#options.log.lines,
    };
    if (this.#store) update.store = this.#store;
    if (runStats.pipeline) update.pipeline = pipelineText(runStats.pipeline);
    return update;
  }

  functions(): FunctionView[] {
    const activity = this.activity;
    const names = new Set([...runStats.byFunction.keys(), ...Object.keys(activity?.durations ?? {})]);
    const oldest = this.#history[0];
    const newest = this.#history[this.#history.length - 1];
    const seconds = this.#history.length - 1;
    return [...names].sort().map((fn) => {
      const tally = runStats.byFunction.get(fn) ?? { queued: 0, processed: 0, failed: 0 };
      const ended = tally.processed + tally.failed;
      const rate = seconds > 0 ? ((newest!.get(fn) ?? 0) - (oldest!.get(fn) ?? 0)) / seconds : 0;
      const left = tally.queued - ended;
      const durations = activity?.durations[fn] ?? emptyHistogram();
      return {
        fn,
        queued: tally.queued,
        running: activity?.running[fn] ?? 0,
        done: tally.processed,
        failed: tally.failed,
        rate,
        etaSeconds: left > 0 && rate > 0 ? left / rate : null,
        durations: { ...durations, p50Ms: quantileMs(durations, 0.5), p95Ms: quantileMs(durations, 0.95) },
      };
    });
  }

  close(): void {
    clearInterval(this.#timer);
    this.#options.hub.off("activity", this.#onActivity);
  }

  #take(activity: HubActivity): void {
    this.#activity = activity;
    if (activity.slices.length === 0) return;
    this.#slices.push(...activity.slices);
    this.#sliceCount += activity.slices.length;
    if (this.#slices.length > SLICES_KEPT) this.#slices.splice(0, this.#slices.length - SLICES_KEPT);
  }

  #tick(): void {
    const ended = runStats.processed + runStats.failed;
    this.#addPoint(ended - this.#lastEnded, runStats.queued - ended);
    this.#lastEnded = ended;
    this.#history.push(new Map([...runStats.byFunction].map(([fn, tally]) => [fn, tally.processed + tally.failed])));
    if (this.#history.length > RATE_WINDOW_S + 1) this.#history.shift();
    this.#options
      .store()
      .then((store) => (this.#store = store ?? this.#store))
      .catch(() => {}); // a store stopping or restarting: the last overview stays
  }

  /** One second's figures; a point spans #pointSeconds, and when the series is full, neighbours merge. */
  #addPoint(throughput: number, queueDepth: number): void {
    this.#pending.throughput += throughput;
    if (++this.#pending.seconds < this.#pointSeconds) return;
    const series = this.#series;
    series.t.push(Math.round((Date.now() - this.startedAt) / 1000));
    series.throughput.push(this.#pending.throughput / this.#pending.seconds);
    series.queueDepth.push(queueDepth);
    this.#pending = { throughput: 0, seconds: 0 };
    if (series.t.length < SERIES_POINTS) return;
    const merge = (values: number[], pick: (a: number, b: number) => number) =>
      values.flatMap((value, i) => (i % 2 === 0 ? [i + 1 < values.length ? pick(value, values[i + 1]!) : value] : []));
    this.#series = {
      t: merge(series.t, (_a, b) => b),
      throughput: merge(series.throughput, (a, b) => (a + b) / 2),
      queueDepth: merge(series.queueDepth, (_a, b) => b),
    };
    this.#pointSeconds *= 2;
  }
}

/** The hub's last activity as the run ends: the workers' figures kept, nothing running. */
function settled(activity: HubActivity): HubActivity {
  const workers = activity.workers.map(({ job: _job, ...worker }) => ({ ...worker, state: "idle" as const }));
  return { ...activity, workers, running: {}, waiting: 0 };
}

/** The pipeline reports so far, in a few lines: where a job's time went, on average. */
function pipelineText({ reports, stages }: NonNullable<typeof runStats.pipeline>): string {
  const lines = Object.entries(stages).map(([stage, { jobs, ms }]) => `${stage}: ${(ms / jobs).toFixed(2)} ms on average (${jobs} jobs)`);
  return [`${reports} reports written to .strmbrkr_pipelines/`, ...lines].join("\n");
}

function failureView({ id, fn, error, args, retries, at }: (typeof runStats.failures)[number]): FailureView {
  const view: FailureView = {
    id,
    fn,
    name: error?.name ?? "Error",
    message: error?.message ?? "",
    args: describe(args).slice(0, ARGS_CHARS),
    retries,
    at,
  };
  if (error?.stack) view.stack = error.stack;
  return view;
}

const emptyHistogram = (): DurationHistogram => ({
  buckets: new Array<number>(DURATION_BOUNDS_MS.length + 1).fill(0),
  count: 0,
  sumMs: 0,
  maxMs: 0,
});

/**
 * The `q` quantile of a histogram: linear within the bucket it falls in, as Prometheus's
 * histogram_quantile does, and never past the largest duration seen; null when empty.
 */
export function quantileMs({ buckets, count, maxMs }: DurationHistogram, q: number): number | null {
  if (count === 0) return null;
  const rank = q * count;
  let below = 0;
  for (let i = 0; i < buckets.length; i++) {
    const inBucket = buckets[i]!;
    if (below + inBucket >= rank && inBucket > 0) {
      const lower = i === 0 ? 0 : DURATION_BOUNDS_MS[i - 1]!;
      const upper = Math.min(DURATION_BOUNDS_MS[i] ?? maxMs, maxMs);
      return Math.min(lower + ((upper - lower) * (rank - below)) / inBucket, maxMs);
    }
    below += inBucket;
  }
  return maxMs;
}

/**
 * What the dashboard's server sends its page (`GET /events`, server-sent events, one `DashboardUpdate`
 * as JSON per `data:` line, at least once a second) and what the hub tells the host for it (IPC
 * "activity", runtime/wire/ipc.ts). Times are epoch milliseconds unless the name says otherwise.
 */

/** Upper bounds (ms) of the job-duration buckets: ten a decade (the R10 series), 10 µs to 1,000 s, then +Inf. */
export const DURATION_BOUNDS_MS: readonly number[] = (() => {
  const steps = [1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8];
  const bounds: number[] = [];
  for (let exponent = -2; exponent <= 5; exponent++) for (const step of steps) bounds.push(Number((step * 10 ** exponent).toPrecision(3)));
  bounds.push(1e6);
  return bounds;
})();

/** The first bucket whose bound is ≥ `ms` (binary search over the ~80 bounds). */
export function bucketOf(ms: number): number {
  let low = 0;
  let high = DURATION_BOUNDS_MS.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (DURATION_BOUNDS_MS[middle]! >= ms) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Durations of one function's jobs, cumulative over the run: `buckets[i]` counts those ≤ DURATION_BOUNDS_MS[i] and above the bound before; the last, those above all bounds. */
export interface DurationHistogram {
  buckets: number[];
  count: number;
  sumMs: number;
  maxMs: number;
}

/** One job in the task stream: which worker ran it, when, and how it ended. */
export interface TaskSlice {
  /** The worker's id (WorkerView.id). */
  worker: string;
  fn: string;
  start: number;
  end: number;
  ok: boolean;
}

export type WorkerState = "idle" | "busy" | "retiring";

/** A worker the broker has registered. */
export interface WorkerView {
  id: string;
  pid: number;
  /** "local", or the remote machine's host name. */
  machine: string;
  poolId: number;
  state: WorkerState;
  /** The job it runs now. */
  job?: { id: string; fn: string; since: number };
  done: number;
  failed: number;
  /** Workers its local pool has replaced so far (one died, was killed by the watchdog or a cancel, or outgrew its memory); remote: 0. */
  restarts: number;
  /** Resident memory, as the worker last reported it. */
  rssMb?: number;
  /** Share of one core over the last second (local workers only). */
  cpuPercent?: number;
}

/** What the hub knows and the host does not: workers, what runs, durations, the task stream. Sent every second while watched. */
export interface HubActivity {
  at: number;
  workers: WorkerView[];
  /** Jobs waiting in the broker (queue and retry backoff), not sent to a worker yet. */
  waiting: number;
  /** Running now, by function. */
  running: Record<string, number>;
  durations: Record<string, DurationHistogram>;
  /** Jobs that ended since the last activity, sampled: at most a few dozen per worker per second. */
  slices: TaskSlice[];
}

export interface FunctionView {
  fn: string;
  /** Submitted so far (the progress line's total). */
  queued: number;
  running: number;
  done: number;
  failed: number;
  /** Jobs ended per second, over the last 10 s. */
  rate: number;
  /** Seconds until the ones submitted so far end at that rate; null when none ends or nothing is left. */
  etaSeconds: number | null;
  durations: DurationHistogram & { p50Ms: number | null; p95Ms: number | null };
}

export interface FailureView {
  id: string;
  fn: string;
  /** How it ended: the error's name (Error, TypeError, WatchdogTimeout, WorkerLost, Cancelled, …). */
  name: string;
  message: string;
  /** Source-mapped: its frames name the user's .ts files and lines. */
  stack?: string;
  /** The arguments, described and cut to a few hundred characters. */
  args: string;
  /** Retries the job asked for (it ran up to 1 + retries times); absent where unknown (a journal does not keep a job's options). */
  retries?: number;
  at: number;
}

export interface StoreEntryView {
  key: string;
  type: string;
  /** Items of a list, characters of a string, bytes of binary, entries of an object; 1 for a number. */
  size: number;
  /** The value, described and cut to about 200 characters. */
  preview: string;
}

export interface StoreView {
  keys: number;
  /** Requests the store has served. */
  operations: number;
  /** The first keys it holds, in the order they were made (at most 200). */
  entries: StoreEntryView[];
  at: number;
}

/** A point a second: the run's throughput (jobs ended in that second) and queue depth (submitted, not ended). */
export interface SeriesView {
  /** Seconds since the run started, oldest first; points are merged in pairs as the run grows, so the whole run fits (at most 600). */
  t: number[];
  throughput: number[];
  queueDepth: number[];
}

/** Everything the page shows, in one message. `slices` holds only those new since the page's last update. */
export interface DashboardUpdate {
  run: { script: string; pid: number; startedAt: number; now: number; state: "running" | "stopping" | "stopped" };
  /** The same counts as the terminal's progress line, from the same counters. */
  totals: { queued: number; running: number; done: number; failed: number; waiting: number };
  functions: FunctionView[];
  series: SeriesView;
  workers: WorkerView[];
  slices: TaskSlice[];
  /** The last failures (at most 50), newest first. */
  failures: FailureView[];
  /** Absent until the store runs. */
  store?: StoreView;
  /** The last lines the run wrote (at most 200). */
  log: string[];
  /** With STRMBRKR_PIPELINE_REPORTS: the summary so far. */
  pipeline?: string;
  /** Bounds of the duration buckets (DURATION_BOUNDS_MS), sent once per connection for drawing histograms. */
  bounds?: readonly number[];
}

/** POST /api/cancel body; /api/stop takes none. Both need the token in the `x-strmbrkr-token` header. */
export interface CancelRequest {
  id: string;
}

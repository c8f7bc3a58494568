/** A function's jobs, as this process's QueueManagers count them. */
export interface FunctionTally {
  queued: number;
  processed: number;
  failed: number;
}

/** A failed job, as the dashboard lists it. */
export interface FailureRecord {
  id: string;
  fn: string;
  error?: { name?: string; message?: string; stack?: string };
  args: unknown[];
  retries: number;
  at: number;
}

/** With STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS: the reports written, and the milliseconds spent between each two stages, summed. */
export interface PipelineTotals {
  reports: number;
  /** "queued→delegated" and so on, for the jobs that had both stamps. */
  stages: Record<string, { jobs: number; ms: number }>;
}

/** Failures kept for the dashboard, the newest last. */
const FAILURES_KEPT = 50;

/**
 * Counters for this process's progress line and its dashboard, kept by every QueueManager and
 * WorkerManager in it: the one source of both, so they agree.
 */
export const runStats = {
  queued: 0,
  processed: 0,
  failed: 0,
  workers: 0,
  busy: 0,
  /** Remote worker processes (`strmbrkr run --listen`); undefined when not listening. */
  remote: undefined as number | undefined,
  /** The same counts by function. */
  byFunction: new Map<string, FunctionTally>(),
  /** The last failures (at most 50). */
  failures: [] as FailureRecord[],
  pipeline: undefined as PipelineTotals | undefined,
};

let lastName = "";
let lastTally: FunctionTally | undefined;

/** `fn`'s counters; jobs come in runs of one function, so the last one is kept at hand. */
export function tallyOf(fn: string): FunctionTally {
  if (fn === lastName && lastTally) return lastTally;
  let tally = runStats.byFunction.get(fn);
  if (!tally) runStats.byFunction.set(fn, (tally = { queued: 0, processed: 0, failed: 0 }));
  lastName = fn;
  lastTally = tally;
  return tally;
}

export function recordFailure(failure: FailureRecord): void {
  if (runStats.failures.push(failure) > FAILURES_KEPT) runStats.failures.shift();
}

const STAGES = ["queued", "delegated", "started", "processed", "returned"] as const;

/** Adds one job's pipeline report (epoch ms per stage) to the totals. */
export function recordPipeline(report: Partial<Record<(typeof STAGES)[number], number>>): void {
  const totals = (runStats.pipeline ??= { reports: 0, stages: {} });
  totals.reports++;
  for (let i = 1; i < STAGES.length; i++) {
    const from = report[STAGES[i - 1]!];
    const to = report[STAGES[i]!];
    if (from === undefined || to === undefined) continue;
    const stage = (totals.stages[`${STAGES[i - 1]}→${STAGES[i]}`] ??= { jobs: 0, ms: 0 });
    stage.jobs++;
    stage.ms += to - from;
  }
}

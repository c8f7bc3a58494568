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

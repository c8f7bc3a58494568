/**
 * Work a worker is given ahead, in expected milliseconds: enough to hide a round trip to the
 * broker, and twice the interval at which a worker sends results while it has more to run
 * (runtime/worker/link.ts FLUSH_MS), so a job of a few ms does not cost a report of its own (each
 * wakes the hub and the host on a core a worker wants): from 4 ms (results every 1 ms), 1 ms jobs
 * went from 80 to 86 % of ideal, and from 20 ms (every 10 ms) 5 ms jobs from 92 to 94 % and 1 ms
 * jobs to 90 (BENCHMARKS.md, "Figures behind choices"). The price: results wait up to 20 ms in a
 * worker that has more to run, and a worker may hold 40 ms of work at a queue's end.
 */
export const TARGET_AHEAD_MS = 40;
/**
 * A job timed over this is long: it asks for no direct copy of its result (the hop it would spare
 * is nothing beside its run time, and the copy wakes the host once more), and when it runs alone
 * its successor is planned (NEXT_LEAD_MS).
 */
export const LONG_JOB_MS = 4;
/** A long job's successor goes to its worker this long before the job is expected to end (broker.ts #planNext). */
export const NEXT_LEAD_MS = 2;
/** At most this many jobs in one message to a worker. */
export const MAX_AHEAD = 512;
const SMOOTHING = 0.2;

/**
 * Recent run times per job function. A worker is given more jobs while the sum of their expected
 * times stays under TARGET_AHEAD_MS; a function not yet timed is expected to be long, so it only
 * goes to a worker with nothing else queued: a long CPU-bound job never waits behind another
 * while a second worker idles, and short jobs travel in batches. (Once a long function is timed,
 * its next job is sent NEXT_LEAD_MS before the running one should end, while the queue is deep.)
 * A function whose job queued jobs of its own counts as untimed from then on: such a job may wait
 * for them, and a job held behind it on its worker could be one of them.
 */
export class JobTimes {
  #averageMs = new Map<string, number>();
  #submitters = new Set<string>();

  observe(fn: string, runMs: number): void {
    const average = this.#averageMs.get(fn);
    this.#averageMs.set(fn, average === undefined ? runMs : average + SMOOTHING * (runMs - average));
  }

  /** A job of `fn` queued jobs while it ran (broker.ts #submittedFrom). */
  submitted(fn: string): void {
    this.#submitters.add(fn);
  }

  /** Expected run time of a job of `fn`; Infinity until one has been timed, and for a function whose jobs queue jobs. */
  expectedMs(fn: string): number {
    if (this.#submitters.size > 0 && this.#submitters.has(fn)) return Infinity;
    return this.#averageMs.get(fn) ?? Infinity;
  }
}

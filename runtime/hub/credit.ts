/** Work a worker is given ahead, in expected milliseconds: enough to hide a round trip to the broker. */
export const TARGET_AHEAD_MS = 4;
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
 */
export class JobTimes {
  #averageMs = new Map<string, number>();

  observe(fn: string, runMs: number): void {
    const average = this.#averageMs.get(fn);
    this.#averageMs.set(fn, average === undefined ? runMs : average + SMOOTHING * (runMs - average));
  }

  /** Expected run time of a job of `fn`; Infinity until one has been timed. */
  expectedMs(fn: string): number {
    return this.#averageMs.get(fn) ?? Infinity;
  }
}

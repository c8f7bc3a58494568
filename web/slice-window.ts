import type { TaskSlice } from "../runtime/wire/dashboard.js";

/**
 * The task-stream slices the page keeps: those that ended in the last `spanMs` before the newest
 * update, and at most `limit` of them, so memory and drawing cost stay flat however busy the run.
 *
 * Past the limit it thins rather than forgets: each slice draws a random priority on arrival and
 * only those under a threshold stay; the threshold drops just enough to fit the limit. Every slice
 * of the window has the same chance to stay, so a busy minute is still drawn whole, evenly sparse,
 * instead of as its last few seconds alone.
 */
export class SliceWindow {
  #slices: TaskSlice[] = [];
  #priorities: number[] = [];
  /** The share of arriving slices kept: 1 until the limit is reached. */
  #threshold = 1;
  /** Bumped on every change, so a drawing knows whether it is stale. */
  version = 0;

  constructor(
    readonly spanMs = 60_000,
    readonly limit = 5_000,
  ) {}

  /** Oldest first (by arrival; the server sends them about in order of end). */
  get slices(): readonly TaskSlice[] {
    return this.#slices;
  }

  /** The share of the slices the server sent that are kept (1: all of them). */
  get kept(): number {
    return this.#threshold;
  }

  /** Adds what an update brought, then drops what fell out of the window as of `now`, and thins to the limit. */
  add(slices: readonly TaskSlice[], now: number): void {
    for (const slice of slices) {
      const priority = Math.random();
      if (priority >= this.#threshold) continue;
      this.#slices.push(slice);
      this.#priorities.push(priority);
    }
    this.#expire(now - this.spanMs);
    if (this.#slices.length > this.limit) this.#thin();
    // Quiet again: let more in. The minute fills back evenly as the sparse past expires.
    else if (this.#threshold < 1 && this.#slices.length < this.limit / 2) this.#threshold = Math.min(1, this.#threshold * 1.5);
    this.version++;
  }

  /** Forgets everything: a new connection's first update resends the recent slices. */
  clear(): void {
    this.#slices = [];
    this.#priorities = [];
    this.#threshold = 1;
    this.version++;
  }

  /** Arrival order is nearly end order: stop at the first slice still inside (a rare straggler stays a little longer, off-screen). */
  #expire(oldest: number): void {
    let drop = 0;
    while (drop < this.#slices.length && this.#slices[drop]!.end < oldest) drop++;
    if (drop === 0) return;
    this.#slices.splice(0, drop);
    this.#priorities.splice(0, drop);
  }

  /** Lowers the threshold to keep 90% of the limit (room for the next updates), and drops the slices above it. */
  #thin(): void {
    const sorted = [...this.#priorities].sort((a, b) => a - b);
    this.#threshold = sorted[Math.floor(this.limit * 0.9)]!;
    const slices: TaskSlice[] = [];
    const priorities: number[] = [];
    this.#slices.forEach((slice, i) => {
      if (this.#priorities[i]! < this.#threshold) {
        slices.push(slice);
        priorities.push(this.#priorities[i]!);
      }
    });
    this.#slices = slices;
    this.#priorities = priorities;
  }
}

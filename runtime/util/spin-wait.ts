import { cpusOversubscribed } from "./proc-stats.js";

/**
 * Spin, then sleep. A process that has sent a message it expects an answer to keeps its event loop
 * turning (a setImmediate each turn, so libuv polls its sockets with no timeout) for up to a window
 * before it sleeps, and reads the answer without being woken. On a virtual machine a sleeping
 * process's wake-up is its vCPU's (an interrupt across CPUs, an exit to the hypervisor): tens of
 * µs, and a lone job's round trip or a store call pays one at each end (BENCHMARKS.md, "Spin, then
 * sleep"). Adaptive, as a spinning lock is: a spin the answer did not end (it came after the
 * window: the peer was slow, or was waiting for this very CPU) makes the next ones sleep at once,
 * 1, 2, 4 … up to MAX_SKIP exchanges, until a spin pays again; so a process whose answers come late
 * (a long job, a quiet store) burns next to nothing. Job exchanges spin on after a near miss
 * (below). All of a process's SpinWaits share one loop.
 */
const MAX_SKIP = 64;
/**
 * A near miss: an answer after the window but within this many windows of the send. Between a
 * QueueManager and its leased worker it is what a spin costs when the kernel has put the two on
 * one CPU (a wake-up across a socket asks the scheduler to run the woken process beside its
 * waker): the answer waits for the spinner to give up the CPU. Sleeping then keeps them there,
 * each round trip on one CPU; spinning on makes two busy processes on one CPU, which the kernel's
 * load balancer parts within a few exchanges. Only while no thread waits for a CPU (`crowded`):
 * beside other busy processes a spinner is one more of them, and the answers it waits for come
 * slices later (a lone job's warmed p50 of 250-470 µs beside two busy loops without that check).
 * A lone job's p50 went from 49-67 to 33-67 µs, median 61.5 to 46.5 (BENCHMARKS.md, "Figures
 * behind choices in the code").
 */
const NEAR_MISS_WINDOWS = 3;
/**
 * Every this many near misses in a row, one counts as late: a peer merely slow to answer is spun
 * for less and less (the back-off keeps doubling until a spin pays), one held back is soon parted.
 */
const MAX_NEAR_MISSES = 16;

export interface SpinWaitOptions {
  /** The clock, in ms (tests pass their own). */
  now?: () => number;
  /** Whether a near miss leaves the next exchange spinning (job exchanges; a store call backs off as for a late answer). */
  spinOnNearMiss?: boolean;
  /** Whether more threads want a CPU than there are: a near miss then counts as late (tests pass their own). */
  crowded?: () => boolean;
}

/** Each spinning SpinWait and when its window ends (its clock's milliseconds). */
const spinning = new Map<SpinWait, number>();
let turning = false;

function turn(): void {
  for (const [spin, until] of spinning) if (spin.now() >= until) spinning.delete(spin);
  if (spinning.size > 0) setImmediate(turn);
  else turning = false;
}

export class SpinWait {
  readonly #windowMs: number;
  /** When the first unanswered message went, or -1. */
  #sentAt = -1;
  /** Whether a spin was started for the unanswered message. */
  #spun = false;
  /** Exchanges to sleep through before spinning again, and the length of the last such pause. */
  #skip = 0;
  #backoff = 0;
  /** Near misses in a row, while they leave spinning on. */
  #nearMisses = 0;
  readonly #nearMissMs: number;
  readonly #crowded: () => boolean;
  readonly now: () => number;

  /** `windowUs`: how long to spin after a send, in µs; 0 never spins. */
  constructor(
    windowUs: number,
    { now = () => performance.now(), spinOnNearMiss = false, crowded = cpusOversubscribed }: SpinWaitOptions = {},
  ) {
    this.#windowMs = windowUs / 1000;
    this.#nearMissMs = spinOnNearMiss ? NEAR_MISS_WINDOWS * this.#windowMs : this.#windowMs;
    this.now = now;
    this.#crowded = crowded;
  }

  /** A message that expects an answer has gone: spin for the window, unless recent spins did not pay. */
  sent(): void {
    if (this.#windowMs === 0) return;
    const now = this.now();
    if (this.#sentAt < 0) {
      this.#sentAt = now;
      this.#spun = this.#skip === 0;
      if (!this.#spun) this.#skip--;
    }
    if (!this.#spun) return;
    spinning.set(this, now + this.#windowMs);
    if (turning) return;
    turning = true;
    setImmediate(turn);
  }

  /** The answer came (or the next request): stop spinning; a spin it came too late for backs off. */
  answered(): void {
    spinning.delete(this);
    if (this.#sentAt < 0) return;
    if (this.#spun) {
      const waited = this.now() - this.#sentAt;
      if (waited <= this.#windowMs) {
        this.#backoff = 0;
        this.#nearMisses = 0;
      } else if (waited > this.#nearMissMs || ++this.#nearMisses > MAX_NEAR_MISSES || this.#crowded()) {
        this.#nearMisses = 0;
        this.#skip = this.#backoff = Math.min(MAX_SKIP, 2 * this.#backoff || 1);
      }
    }
    this.#sentAt = -1;
  }

  /** Whether this SpinWait keeps the event loop turning now. */
  get spinning(): boolean {
    return spinning.has(this);
  }
}

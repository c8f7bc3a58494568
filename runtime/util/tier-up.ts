import { setFlagsFromString } from "node:v8";

/**
 * From now on, hot functions are optimised after a quarter of V8's default interrupt budget
 * (67,584). One job's round trip runs code in four processes, and with the default each ran it
 * about a thousand times before it was optimised, so a pool's first several hundred round trips
 * were much slower than later ones, and the latency figure's median showed it. Half took most of
 * that away, for a little tiny-jobs throughput and a higher p99 early on (more compiling while
 * jobs flow, on busy cores); once processes spin for their answers (spin-wait.ts), a quarter took
 * a quarter more off a cold pool's median with no cost measured; an eighth cost tiny jobs ~7 %.
 * The figures and how to measure them: BENCHMARKS.md, "Figures behind choices in the code".
 * Called once a process has started, before jobs flow (from its first line, start-up was
 * slower). The flag is V8 11's (Node 20): V8 12 (Node 22) dropped it, and would print an error
 * for it on every process's stderr (an unknown flag here is reported, never fatal).
 */
export function tierUpSooner(): void {
  if (process.versions.v8.startsWith("11.")) setFlagsFromString("--interrupt-budget=16896");
}

/** The hub is busy once this many jobs end within BUSY_WINDOW_MS (1,000 a second)… */
const BUSY_JOBS = 50;
const BUSY_WINDOW_MS = 50;
/** …or once this many have ended in all: by then its compiling has paid for itself, or soon will. */
const ENOUGH_JOBS = 20_000;

/**
 * The hub compiles its own code with TurboFan, V8's optimising compiler, only once it is busy.
 * Each hot function costs ~4 ms of a core to compile (Node 20, here), some 50 functions in all,
 * while the code they speed up saves ~20 µs a job: in a run of CPU-bound jobs of a few ms, a few
 * hundred a second, the hub's compiling took CPU from the workers it never gave back (800 jobs of
 * 5 ms on 2 workers: 89 → 91 % of ideal without it). Until then V8's baseline code runs the hub;
 * once jobs end by the thousand each second (small jobs, lone jobs one after another), TurboFan
 * is on at once. Figures: BENCHMARKS.md, "Figures behind choices in the code".
 */
export class OptimiseWhenBusy {
  #on = false;
  #ended = 0;
  #windowStart = -Infinity;
  #endedInWindow = 0;
  readonly #now: () => number;

  /** `now`: the clock, in ms (tests pass their own). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    setFlagsFromString("--no-turbofan");
  }

  /** `jobs` more jobs ended. */
  ended(jobs: number): void {
    if (this.#on) return;
    const now = this.#now();
    if (now - this.#windowStart > BUSY_WINDOW_MS) {
      this.#windowStart = now;
      this.#endedInWindow = 0;
    }
    this.#endedInWindow += jobs;
    this.#ended += jobs;
    if (this.#endedInWindow < BUSY_JOBS && this.#ended < ENOUGH_JOBS) return;
    this.#on = true;
    setFlagsFromString("--turbofan");
  }

  /** Whether TurboFan is on. */
  get optimising(): boolean {
    return this.#on;
  }
}

/** For the hub: an OptimiseWhenBusy on Node 20 (V8 11), where it was measured to pay; none on later Nodes, where it did not. */
export function optimiseWhenBusy(): OptimiseWhenBusy | undefined {
  return process.versions.v8.startsWith("11.") ? new OptimiseWhenBusy() : undefined;
}

import { setFlagsFromString } from "node:v8";

/**
 * From now on, hot functions are optimised after half V8's default interrupt budget (67,584).
 * One job's round trip runs code in four processes, and with the default each ran it about a
 * thousand times before it was optimised: in bench/scripts/latency.ts, round trips 200-700 took
 * ~330 µs at the median where the steady state is ~140, and the median of the bench's 2,000 was
 * ~177 µs; with half, ~143 (with direct copies of results: ~162 -> ~98). The price, in runs
 * alternated with and without: tiny jobs -2 to -10 % jobs/s and the p99 of those 2,000 round trips
 * ~2.3 -> ~3.0 ms (more compiling early, on two busy cores). A quarter gave ~138 µs and -8 %:
 * code optimised on too little type feedback, then deoptimised and compiled again.
 * Called once a process has started, before jobs flow (from its first line, start-up took ~8 %
 * longer). The flag is V8 11's (Node 20): V8 12 (Node 22) dropped it, and would print an error
 * for it on every process's stderr (an unknown flag here is reported, never fatal).
 */
export function tierUpSooner(): void {
  if (process.versions.v8.startsWith("11.")) setFlagsFromString("--interrupt-budget=33792");
}

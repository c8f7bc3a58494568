import { setFlagsFromString } from "node:v8";

/**
 * From now on, hot functions are optimised after half V8's default interrupt budget (67,584).
 * One job's round trip runs code in four processes, and with the default each ran it about a
 * thousand times before it was optimised: in bench/scripts/latency.ts, round trips 200-700 took
 * ~330 µs at the median where the steady state is ~140, and the median of the bench's 2,000 was
 * ~177 µs; with half, ~143 (tiny jobs: -2 % jobs/s). A quarter gave ~138 µs but -8 % jobs/s:
 * code optimised on too little type feedback, then deoptimised and compiled again, on busy cores.
 * Called once a process has started, before jobs flow (from its first line, start-up took ~8 %
 * longer). An unknown flag is only reported, never fatal (as one in execArgv would be).
 */
export function tierUpSooner(): void {
  setFlagsFromString("--interrupt-budget=33792");
}

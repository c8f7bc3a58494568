import { setFlagsFromString } from "node:v8";

/**
 * From now on, hot functions are optimised after half V8's default interrupt budget (67,584).
 * One job's round trip runs code in four processes, and with the default each ran it about a
 * thousand times before it was optimised, so a pool's first several hundred round trips were
 * much slower than later ones, and the latency figure's median showed it. With half, most
 * of that is gone, for a little tiny-jobs throughput and a higher p99 early on (more compiling
 * while jobs flow, on busy cores). A quarter gained little more and cost more throughput: code
 * optimised on too little type feedback, then deoptimised and compiled again. The figures and
 * how to measure them: BENCHMARKS.md, "Figures behind choices in the code".
 * Called once a process has started, before jobs flow (from its first line, start-up was
 * slower). The flag is V8 11's (Node 20): V8 12 (Node 22) dropped it, and would print an error
 * for it on every process's stderr (an unknown flag here is reported, never fatal).
 */
export function tierUpSooner(): void {
  if (process.versions.v8.startsWith("11.")) setFlagsFromString("--interrupt-budget=33792");
}

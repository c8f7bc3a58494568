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

/**
 * Functions to run over a file with `strmbrkr map`, one job per line — no main needed:
 *
 *   npx strmbrkr map examples/map.ts estimatePi --input examples/pi-samples.jsonl --ordered
 *   seq 1 5 | npx strmbrkr map examples/map.ts square --input -
 *
 * A line holding a JSON array is the argument list (`[42, 1000000]` → estimatePi(42, 1000000));
 * any other JSON value is the only argument (`7` → square(7)).
 */
import { throwDarts } from "./monte-carlo-pi.js";

/** Estimates π from `samples` darts; the seed makes each line reproducible. */
export function estimatePi(seed: number, samples: number): { seed: number; pi: number } {
  return { seed, pi: (4 * throwDarts(samples, seed)) / samples };
}

export function square(n: number): number {
  if (typeof n !== "number") throw new TypeError(`square: expected a number, got ${JSON.stringify(n)}`);
  return n * n;
}

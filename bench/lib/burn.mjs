// The CPU-bound figure's workload, shared by strmbrkr's script and piscina's worker so both do
// exactly the same work: an integer xorshift loop (no allocation, no I/O).

/** Runs `iterations` xorshift32 steps; returns the final state and the time spent in ms. */
export function burn(iterations) {
  const start = performance.now();
  let state = 2_463_534_242;
  for (let i = 0; i < iterations; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
  }
  return { state: state >>> 0, ms: performance.now() - start };
}

/** The iteration count that makes one `burn` take about `targetMs` in this process (median of 5). */
export function calibrate(targetMs = 50) {
  const probe = 5_000_000;
  for (let i = 0; i < 3; i++) burn(probe); // let the JIT settle
  const times = Array.from({ length: 5 }, () => burn(probe).ms).sort((a, b) => a - b);
  return Math.round((probe * targetMs) / times[2]);
}

/**
 * CPU-bound work: estimate π by throwing random darts, split into chunks run on every worker,
 * and compare with doing it all in this one process.
 *
 *   npx strmbrkr run examples/monte-carlo-pi.ts                 # 4 workers, 80 chunks
 *   npx strmbrkr run examples/monte-carlo-pi.ts -w 2 -- 40     # 2 workers, 40 chunks
 */
import { Job, type MainContext } from "strmbrkr";

const DARTS_PER_CHUNK = 10_000_000;

/** Throws `darts` random darts at the unit square; returns how many land inside the quarter circle. */
export function throwDarts(darts: number, seed: number): number {
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32: fast, seedable, plenty for a demo
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
  let inside = 0;
  for (let i = 0; i < darts; i++) {
    const x = random();
    const y = random();
    if (x * x + y * y <= 1) inside++;
  }
  return inside;
}

export default async function main({ queue, workers, argv }: MainContext): Promise<void> {
  const chunks = Number(argv[0] ?? 80);
  const jobs = Array.from({ length: chunks }, (_, i) => new Job(throwDarts, [DARTS_PER_CHUNK, i + 1]));

  let start = performance.now();
  queue.queueJobs(...jobs);
  await queue.blockUntilProcessed();
  const parallelSeconds = (performance.now() - start) / 1000;
  const inside = queue.getResults().reduce((sum, job) => sum + (job.retval as number), 0);

  start = performance.now();
  const sample = Math.max(1, Math.floor(chunks / 8));
  for (let i = 0; i < sample; i++) throwDarts(DARTS_PER_CHUNK, i + 1);
  const serialSeconds = ((performance.now() - start) / 1000) * (chunks / sample);

  console.log(`π ≈ ${((4 * inside) / (chunks * DARTS_PER_CHUNK)).toFixed(6)} from ${chunks * DARTS_PER_CHUNK} darts`);
  console.log(
    `${workers.workerCount} workers: ${parallelSeconds.toFixed(2)} s; one process (estimated from ${sample} chunks): ${serialSeconds.toFixed(2)} s; speed-up ${(serialSeconds / parallelSeconds).toFixed(2)}×`,
  );
}

// CPU-bound efficiency: JOBS jobs of ITERATIONS xorshift steps (~50 ms each, calibrated by the
// driver); wall time from queueJobs to the last result vs the ideal, the jobs' own time / workers.
//   strmbrkr run bench/scripts/cpu.ts --workers 2 --no-progress -- 80 <iterations>
import { Job, type MainContext } from "strmbrkr";
import { burn } from "../lib/burn.mjs";

export function work(iterations: number): { state: number; ms: number } {
  return burn(iterations);
}

export default async function main({ queue, workers, argv }: MainContext): Promise<void> {
  const count = Number(argv[0] ?? 80);
  const iterations = Number(argv[1] ?? 50_000_000);
  const start = performance.now();
  queue.queueJobs(...Array.from({ length: count }, () => new Job(work, [iterations])));
  await queue.blockUntilProcessed({ timeout: 600, dumpOnTimeout: false });
  const wallMs = performance.now() - start;
  const results = queue.getResults();
  const failed = results.filter((job) => job.status !== "processed").length;
  const busyMs = results.reduce((sum, job) => sum + ((job.retval as { ms: number } | undefined)?.ms ?? 0), 0);
  const idealMs = busyMs / workers.workerCount;
  console.log(JSON.stringify({ count, failed, wallMs, busyMs, idealMs, efficiencyPct: (100 * idealMs) / wallMs }));
}

// Latency: one job at a time on an idle pool, queue → result: WARMUP untimed round trips, then
// SAMPLES timed (p50/p99 in µs), then SAMPLES more on the pool they warmed (warmP50Us/warmP99Us).
//   strmbrkr run bench/scripts/latency.ts --workers 2 --no-progress -- 2000
import { Job, type MainContext } from "strmbrkr";
import { percentiles } from "../lib/percentiles.mjs";

const WARMUP = 200;

export function echo(n: number): number {
  return n;
}

export default async function main({ queue, argv }: MainContext): Promise<void> {
  const samples = Number(argv[0] ?? 2000);
  const micros: number[] = [];
  for (let i = 0; i < WARMUP + 2 * samples; i++) {
    const start = performance.now();
    queue.queueJobs(new Job(echo, [i]));
    await queue.blockUntilProcessed({ timeout: 60, dumpOnTimeout: false });
    const [job] = queue.getResults();
    if (job?.retval !== i) throw new Error(`job ${i} returned ${String(job?.retval)}`);
    if (i >= WARMUP) micros.push((performance.now() - start) * 1000);
  }
  console.log(JSON.stringify(percentiles(micros, samples)));
}

// Latency: one job at a time on an idle pool, queue → result, WARMUP + SAMPLES round trips; p50/p99 in µs.
//   strmbrkr run bench/scripts/latency.ts --workers 2 --no-progress -- 2000
import { Job, type MainContext } from "strmbrkr";

const WARMUP = 200;

export function echo(n: number): number {
  return n;
}

export default async function main({ queue, argv }: MainContext): Promise<void> {
  const samples = Number(argv[0] ?? 2000);
  const micros: number[] = [];
  for (let i = 0; i < WARMUP + samples; i++) {
    const start = performance.now();
    queue.queueJobs(new Job(echo, [i]));
    await queue.blockUntilProcessed({ timeout: 60, dumpOnTimeout: false });
    const [job] = queue.getResults();
    if (job?.retval !== i) throw new Error(`job ${i} returned ${String(job?.retval)}`);
    if (i >= WARMUP) micros.push((performance.now() - start) * 1000);
  }
  micros.sort((a, b) => a - b);
  const at = (q: number) => micros[Math.min(micros.length - 1, Math.floor(q * micros.length))]!;
  console.log(JSON.stringify({ samples, p50Us: at(0.5), p99Us: at(0.99), maxUs: micros[micros.length - 1] }));
}

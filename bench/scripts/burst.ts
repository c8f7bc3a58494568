// A burst after lone work: how long the second of a burst's jobs waits to start (µs clocks), when
// the QueueManager holds an idle worker's lease (docs/architecture.md, "Release"). Each of ROUNDS
// rounds: 8 no-op jobs (bench/lib/warm-up.ts), a pause in which the broker leases the idle worker, then 3 jobs of 20 ms.
//   strmbrkr run bench/scripts/burst.ts --workers 2 --no-progress -- [rounds]
import { Job, type MainContext } from "strmbrkr";
import { warmUp } from "../lib/warm-up.js";

export function echo(n: number): number {
  return n;
}

/** Keeps its worker busy for `ms`; returns when it started, in epoch ms with µs. */
export function spin(ms: number): number {
  const started = performance.timeOrigin + performance.now();
  const end = performance.now() + ms;
  while (performance.now() < end);
  return started;
}

export default async function main({ queue, argv }: MainContext): Promise<void> {
  const rounds = Number(argv[0] ?? 10);
  const waits: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await warmUp(queue, echo);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const queuedAt = performance.timeOrigin + performance.now();
    queue.queueJobs([new Job(spin, [20]), new Job(spin, [20]), new Job(spin, [20])]);
    await queue.blockUntilProcessed({ timeout: 60, dumpOnTimeout: false });
    const started = queue
      .getResults()
      .map((job) => job.retval as number)
      .sort((a, b) => a - b);
    waits.push(Math.round((started[1]! - queuedAt) * 1000) / 1000);
  }
  waits.sort((a, b) => a - b);
  console.log(JSON.stringify({ secondStartMs: waits, medianMs: waits[Math.floor(waits.length / 2)] }));
}

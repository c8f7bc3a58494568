// CPU-bound efficiency: JOBS jobs of ITERATIONS xorshift steps (~50 ms each, calibrated by the
// driver); wall time from queueJobs to the last result vs the ideal, the jobs' own time / workers,
// on a pool warmed by 8 no-op jobs, as the peers' are (bench/lib/warm-up.ts).
// Where the rest went, per worker on average (from each job's pipeline times, in whole ms): before
// its first job started, between its jobs, and after its last one ended until the run's last result.
//   strmbrkr run bench/scripts/cpu.ts --workers 2 --no-progress -- 80 <iterations>
import { Job, type MainContext } from "strmbrkr";
import { burn } from "../lib/burn.mjs";
import { warmUp } from "../lib/warm-up.js";

export function work(iterations: number): { state: number; ms: number; pid: number } {
  return { ...burn(iterations), pid: process.pid };
}

export function echo(n: number): number {
  return n;
}

export default async function main({ queue, workers, argv }: MainContext): Promise<void> {
  const count = Number(argv[0] ?? 80);
  const iterations = Number(argv[1] ?? 50_000_000);
  await warmUp(queue, echo);
  const queuedAt = Date.now();
  const start = performance.now();
  queue.queueJobs(...Array.from({ length: count }, () => new Job(work, [iterations])));
  await queue.blockUntilProcessed({ timeout: 600, dumpOnTimeout: false });
  const wallMs = performance.now() - start;
  const results = queue.getResults();
  const failed = results.filter((job) => job.status !== "processed").length;
  const busyMs = results.reduce((sum, job) => sum + ((job.retval as { ms: number } | undefined)?.ms ?? 0), 0);
  const idealMs = busyMs / workers.workerCount;
  console.log(
    JSON.stringify({ count, failed, wallMs, busyMs, idealMs, efficiencyPct: (100 * idealMs) / wallMs, lostMs: lost(results, queuedAt) }),
  );
}

/** Per worker, averaged: ms before its first job started, between its jobs, after its last until the run's last result. */
function lost(results: Job[], queuedAt: number): { beforeFirst: number; between: number; afterLast: number } {
  const byWorker = new Map<number, { started: number; processed: number }[]>();
  for (const job of results) {
    const { started, processed } = job.pipeline;
    const pid = (job.retval as { pid: number } | undefined)?.pid;
    if (pid === undefined || started === undefined || processed === undefined) continue;
    byWorker.set(pid, [...(byWorker.get(pid) ?? []), { started, processed }]);
  }
  const end = Math.max(...[...byWorker.values()].flat().map((job) => job.processed));
  const sums = { beforeFirst: 0, between: 0, afterLast: 0 };
  for (const jobs of byWorker.values()) {
    jobs.sort((a, b) => a.started - b.started);
    sums.beforeFirst += jobs[0]!.started - queuedAt;
    for (let i = 1; i < jobs.length; i++) sums.between += Math.max(0, jobs[i]!.started - jobs[i - 1]!.processed);
    sums.afterLast += end - jobs.at(-1)!.processed;
  }
  const n = Math.max(1, byWorker.size);
  return { beforeFirst: sums.beforeFirst / n, between: sums.between / n, afterLast: sums.afterLast / n };
}

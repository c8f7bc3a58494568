// Tiny jobs and scaling: COUNT no-op jobs queued at once; times queueJobs → blockUntilProcessed
// (process start-up not counted; the pool warmed by 8 no-op jobs first, as the peers' are:
// bench/lib/warm-up.ts) and reports the host's peak RSS (VmHWM).
//   strmbrkr run bench/scripts/tiny.ts --workers 2 --no-progress -- 100000 [stop-workers]
// With "stop-workers", main stops the workers itself (so they exit cleanly and write their CPU profiles).
import { readFileSync } from "node:fs";
import { Job, type MainContext } from "strmbrkr";
import { warmUp } from "../lib/warm-up.js";

/** queueJobs takes jobs as arguments: past a few hundred thousand, one call would overflow the stack. */
const JOBS_PER_CALL = 100_000;

export function echo(n: number): number {
  return n;
}

export default async function main({ queue, workers, argv }: MainContext): Promise<void> {
  const count = Number(argv[0] ?? 100_000);
  await warmUp(queue, echo);
  const rssBeforeBytes = process.memoryUsage.rss();
  const start = performance.now();
  const jobs = Array.from({ length: count }, (_, i) => new Job(echo, [i]));
  for (let i = 0; i < count; i += JOBS_PER_CALL) queue.queueJobs(...jobs.slice(i, i + JOBS_PER_CALL));
  await queue.blockUntilProcessed({ timeout: 1800, dumpOnTimeout: false });
  const seconds = (performance.now() - start) / 1000;
  const peakRssBytes = highWaterMarkBytes();
  const results = queue.getResults();
  const wrong = results.filter((job) => job.retval !== job.args[0]).length;
  console.log(
    JSON.stringify({ count, received: results.length, wrong, seconds, jobsPerSecond: count / seconds, rssBeforeBytes, peakRssBytes }),
  );
  if (argv[1] === "stop-workers") await workers.stopWorkers();
}

/** The process's peak resident set size so far, from /proc (a sampling timer would miss the synchronous queueJobs). */
function highWaterMarkBytes(): number {
  const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  return Number(kib) * 1024;
}

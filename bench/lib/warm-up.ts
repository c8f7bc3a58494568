// The peers' drivers run 8 no-op tasks on their pools before they time anything (their workers
// start lazily); strmbrkr's scripts do the same, so every contestant is timed from the same state.
import { Job, type QueueManager } from "strmbrkr";

export const WARM_UP_JOBS = 8;

/** Runs WARM_UP_JOBS jobs of `noop` (an export of the script) and forgets their results. */
export async function warmUp(queue: QueueManager, noop: (n: number) => number): Promise<void> {
  queue.queueJobs(Array.from({ length: WARM_UP_JOBS }, (_, i) => new Job(noop, [i])));
  await queue.blockUntilProcessed({ timeout: 60, dumpOnTimeout: false });
  queue.getResults();
}

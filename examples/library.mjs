/**
 * Library mode: the same API from a plain Node program, no CLI. The workers load this very file,
 * so its top level only defines things; `main` runs only when this file is the program.
 *
 *   node examples/library.mjs
 */
import { fileURLToPath } from "node:url";
import { Job, KeyValueStore, QueueManager, WorkerManager } from "strmbrkr";

export function square(n) {
  return n * n;
}

async function main() {
  const workers = new WorkerManager({ procCount: 2, script: import.meta.url });
  const queue = new QueueManager();
  await workers.startWorkers();

  queue.queueJobs(...[1, 2, 3, 4].map((n) => new Job(square, [n])));
  await queue.blockUntilProcessed({ timeout: 30 });
  console.log(
    queue
      .getResults()
      .map((job) => job.retval)
      .sort((a, b) => a - b)
      .join(" "),
  );

  await workers.stopWorkers();
  await queue.stopHandling();
  await KeyValueStore.stopServerProcess();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

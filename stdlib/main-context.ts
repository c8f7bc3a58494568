import type { QueueManager } from "./queue-manager.js";
import type { WorkerManager } from "./worker-manager.js";

/**
 * What `strmbrkr run` hands the script's default export:
 *
 * ```ts
 * export default async function main({ queue, workers, argv }: MainContext) { … }
 * ```
 */
export interface MainContext {
  /** A QueueManager connected to the run's broker. */
  queue: QueueManager;
  /** The started worker pool. */
  workers: WorkerManager;
  /** The arguments after `--` on the command line. */
  argv: string[];
}

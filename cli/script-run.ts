import { pathToFileURL } from "node:url";
import type { HostContext } from "../runtime/host/host-context.js";
import { tierUpSooner } from "../runtime/util/tier-up.js";
import type { MainContext } from "../stdlib/main-context.js";
import { QueueManager } from "../stdlib/queue-manager.js";
import { WorkerManager } from "../stdlib/worker-manager.js";

export type MainFunction = (context: MainContext) => unknown;

/**
 * Bundles the script (once) and imports the bundle here for its exports. Throws ScriptError for a
 * bundle error; an error the script's top level throws propagates as is.
 */
export async function loadScript(host: HostContext, script: string): Promise<Record<string, unknown>> {
  const bundle = await host.useScript(script);
  const exports = (await import(pathToFileURL(bundle.path).href)) as Record<string, unknown>;
  host.script.setExports(exports);
  return exports;
}

export interface Run {
  queue: QueueManager;
  workers: WorkerManager;
}

/** Starts the workers and a queue for `main`; rejects if the workers cannot start (after stopping what started). */
export async function startRun(): Promise<Run> {
  const run = { queue: new QueueManager(), workers: new WorkerManager() };
  try {
    await run.workers.startWorkers();
    tierUpSooner(); // main runs next
  } catch (error) {
    await stopRun(run);
    throw error;
  }
  return run;
}

/**
 * After `main`: closes the queue. The workers are killed with the hub as the run shuts down
 * (HostContext.shutdown; main has read what it waited for): asking the hub to stop the pool first
 * would only add a round trip to every run's end.
 */
export async function stopRun({ queue, workers }: Run): Promise<void> {
  await queue.stopHandling();
  // Unless CPU profiles are wanted: a process writes its profile only when it exits by itself.
  if (process.env.STRMBRKR_CPU_PROF_DIR) await workers.stopWorkers();
}

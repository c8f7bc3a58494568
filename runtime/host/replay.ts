import { pathToFileURL } from "node:url";
import { describe } from "../util/describe.js";
import type { JobResult } from "../wire/jobs.js";
import { decode } from "../wire/serialize.js";
import { runJob } from "../worker/runner.js";
import { HostContext } from "./host-context.js";
import { breakAtFirstLine, type FunctionBreakpoint } from "./inspect-job.js";
import type { FinishedRecord } from "./journal-format.js";
import type { ReplayTarget } from "./replay-target.js";
import type { HubProcess } from "./services.js";

/**
 * The run of `strmbrkr replay`: a host whose one job runs in this process (where a debugger can
 * follow it). The job's KeyValueStore calls get a fresh, empty store, started on the first and
 * stopped with the replay: the journal does not keep the run's. There is no broker: a
 * QueueManager or WorkerManager in the job rejects with one line saying so.
 */
export class ReplayContext extends HostContext {
  /** Whether the job asked for the store (and so got a fresh, empty one). */
  storeUsed = false;

  override hub(): HubProcess {
    const error = new Error(
      "a replayed job cannot queue jobs (QueueManager) or start workers (WorkerManager): strmbrkr replay runs it alone, with no broker or workers",
    );
    error.stack = `${error.name}: ${error.message}`; // strmbrkr's frames would say nothing about the job
    throw error;
  }

  override kvsEndpoint(): Promise<string> {
    this.storeUsed = true;
    return super.kvsEndpoint();
  }
}

/**
 * Imports the target's bundle (as its run's processes did, with source maps on, so stacks point at
 * the user's .ts lines) and makes it the context's script. Throws what the script's top level throws.
 */
export async function loadReplay(context: ReplayContext, target: ReplayTarget): Promise<Record<string, unknown>> {
  process.setSourceMapsEnabled(true);
  const bundle = context.useBuiltBundle(target.run.script, target.bundle);
  const exports = (await import(pathToFileURL(bundle.path).href)) as Record<string, unknown>;
  context.script.useBundle(bundle.script, Object.keys(exports));
  context.script.setExports(exports); // the job's own transact calls name their functions by export
  return exports;
}

export interface ReplayOptions {
  /**
   * Pause at the job function's first line: called once the breakpoint is set (`found` false when
   * the function has no source to break in), before the job runs; it waits for the debugger.
   */
  pauseAtFirstLine?: (found: boolean) => void;
}

/** Runs the target's job once, here, with its recorded arguments; never throws (runJob's rule). */
export async function replayJob(
  context: ReplayContext,
  target: ReplayTarget,
  exports: Record<string, unknown>,
  { pauseAtFirstLine }: ReplayOptions = {},
): Promise<JobResult> {
  const { id, fn } = target.queued;
  let breakpoint: FunctionBreakpoint | undefined;
  if (pauseAtFirstLine) {
    const job = exports[fn];
    breakpoint = typeof job === "function" ? await breakAtFirstLine(job as (...args: never[]) => unknown) : undefined;
    pauseAtFirstLine(breakpoint !== undefined);
  }
  try {
    return await runJob(exports, { id, fn, args: target.args, delegatedAt: Date.now() }, context.config.maxMessageBytes);
  } finally {
    await breakpoint?.release();
  }
}

/** How a replay's result compares with the run's: `recorded` says what the run recorded, for a message. */
export interface Comparison {
  /** undefined when the run recorded no result (it ended before the job did). */
  same?: boolean;
  recorded?: string;
}

/**
 * Same status and the same encoded value (byte for byte), or, for a failure, the same error name
 * and message (stacks differ in strmbrkr's own frames) and the same thrown value, if any.
 */
export function compareWithRun(result: JobResult, finished: FinishedRecord | undefined): Comparison {
  if (!finished) return {};
  const bytes = (base64: string | undefined) => (base64 === undefined ? undefined : Buffer.from(base64, "base64"));
  if (finished.status === "processed") {
    const value = bytes(finished.value);
    const recorded = `processed, returning ${value ? describe(decode(value)) : "nothing recorded"}`;
    return { same: result.ok && value !== undefined && result.value !== undefined && value.equals(result.value), recorded };
  }
  const error = finished.error ?? { name: "Error", message: "failed without an error" };
  const thrown = bytes(finished.thrown);
  const sameThrown = thrown === undefined ? result.value === undefined : result.value !== undefined && thrown.equals(result.value);
  const same = !result.ok && result.error?.name === error.name && result.error.message === error.message && sameThrown;
  return { same, recorded: `failed: ${error.name}: ${error.message}` };
}

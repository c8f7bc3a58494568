import { fileURLToPath } from "node:url";
import type { HubToHost } from "../runtime/wire/ipc.js";
import { runStats } from "../runtime/util/stats.js";
import { ScriptError } from "../runtime/util/errors.js";
import { describe } from "../runtime/util/describe.js";
import { currentRun, type RunContext } from "./run-context.js";

export interface WorkerManagerOptions {
  /** Worker processes to run. Default STRMBRKR_WORKER_PROC_COUNT (4). */
  procCount?: number;
  /** Seconds a job may run before its worker is killed and replaced; 0 disables. Default STRMBRKR_WORKER_WATCHDOG_TERMINATE_AFTER (15). */
  watchdogTerminateAfter?: number;
  /** Job script the workers load (path or file URL). Needed only outside `strmbrkr run`. */
  script?: string | URL;
}

type PoolStatus = Extract<HubToHost, { type: "pool" }>;

/**
 * A pool of worker processes that load the job script and take jobs from the broker. A worker
 * that dies or is killed by the watchdog is replaced, so the pool keeps its size.
 *
 * ```ts
 * const workers = new WorkerManager({ procCount: 2, script: "./jobs.ts" });
 * await workers.startWorkers();
 * // … queue jobs …
 * await workers.stopWorkers();
 * ```
 */
export class WorkerManager {
  readonly procCount: number;
  readonly watchdogTerminateAfter: number;
  #script?: string;
  #poolId?: number;
  #status?: PoolStatus;
  #started = false;
  #starting?: Promise<void>;
  #onStatus?: (status: PoolStatus) => void;
  #holdsHub = false;
  readonly #run: RunContext = currentRun();

  constructor({ procCount, watchdogTerminateAfter, script }: WorkerManagerOptions = {}) {
    const config = this.#run.config;
    if (procCount !== undefined) {
      if (typeof procCount !== "number" || !Number.isInteger(procCount))
        throw new TypeError(`WorkerManager: procCount must be an integer, got ${describe(procCount)}`);
    }
    if (watchdogTerminateAfter !== undefined) {
      if (typeof watchdogTerminateAfter !== "number" || Number.isNaN(watchdogTerminateAfter)) {
        throw new TypeError(`WorkerManager: watchdogTerminateAfter must be a number of seconds, got ${describe(watchdogTerminateAfter)}`);
      }
      if (watchdogTerminateAfter < 0)
        throw new RangeError(`WorkerManager: watchdogTerminateAfter must be >= 0, got ${watchdogTerminateAfter}`);
    }
    if (script !== undefined && typeof script !== "string" && !(script instanceof URL)) {
      throw new TypeError(`WorkerManager: script must be a path or a file URL, got ${describe(script)}`);
    }
    this.procCount = procCount ?? config.workerProcCount;
    // 0: jobs run on remote workers only (`strmbrkr run --listen`).
    if (this.procCount < 1 && !(this.procCount === 0 && this.#run.kind === "host" && this.#run.listening)) {
      throw new RangeError(`WorkerManager: procCount must be at least 1, got ${this.procCount} (0 only with --listen)`);
    }
    this.watchdogTerminateAfter = watchdogTerminateAfter ?? config.workerWatchdogTerminateAfter;
    this.#script = script instanceof URL || script?.startsWith("file:") ? fileURLToPath(script) : script;
  }

  /** True between startWorkers() and stopWorkers(). */
  get started(): boolean {
    return this.#started;
  }

  /**
   * Worker processes taking this pool's jobs: its local ones (a replacement counts as soon as it
   * is forked) and, under `strmbrkr run --listen`, the remote workers (`strmbrkr worker`) that
   * joined it, as their supervisors last reported; 0 before `startWorkers()` and after
   * `stopWorkers()`. Remote workers join the first pool started (main's `workers`), and come and go
   * during a run: with `--workers 0`, this is 0 until the first one joins.
   *
   * ```ts
   * console.log(`${workers.workerCount} workers`); // --workers 0 and two remote workers: 2
   * ```
   */
  get workerCount(): number {
    const status = this.#status;
    if (!status) return 0;
    return status.workers + (status.remoteInPool ? (status.remote ?? 0) : 0);
  }

  /** True while any worker of this pool runs a job. */
  get isProcessing(): boolean {
    return (this.#status?.busy ?? 0) > 0;
  }

  /** Forks the workers; resolves when every one has loaded the script and asked for work. */
  startWorkers(): Promise<void> {
    this.#starting ??= this.#start().catch((error: unknown) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    const instance = this.#run;
    if (instance.kind !== "host")
      throw new Error("WorkerManager.startWorkers: only the run's host (main, or a program using the library) starts workers, not a job");
    const script = this.#script ?? instance.script.script;
    if (!script) throw new Error("WorkerManager: no job script; pass { script } or run under `strmbrkr run`");
    const hub = instance.retainHub();
    this.#holdsHub = true;
    const [bundle] = await Promise.all([instance.useScript(script), hub.ready]);
    const poolId = (this.#poolId = instance.nextPoolId());
    const startTimeoutS = instance.config.workerStartTimeout;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        hub.off("fatal", fail);
        clearTimeout(timer);
        reject(error);
      };
      // A script whose top level never returns (an endless loop, a hung await) would wait forever.
      const timer =
        startTimeoutS > 0
          ? setTimeout(() => {
              const ready = this.#status?.ready ?? 0;
              fail(
                new ScriptError(
                  `${this.procCount - ready} of ${this.procCount} workers did not load the job script within ${startTimeoutS} s (STRMBRKR_WORKER_START_TIMEOUT); does its top level run forever?`,
                ),
              );
            }, startTimeoutS * 1000)
          : undefined;
      this.#onStatus = (status: PoolStatus) => {
        if (status.poolId !== poolId) return;
        this.#track(status);
        if (status.ready >= this.procCount) {
          hub.off("fatal", fail);
          clearTimeout(timer);
          resolve();
        }
      };
      hub.on("pool", this.#onStatus);
      hub.on("fatal", fail);
      hub.send({
        type: "start-pool",
        poolId,
        count: this.procCount,
        watchdogMs: this.watchdogTerminateAfter * 1000,
        bundle: bundle.path,
        kvs: instance.runningKvsEndpoint,
      });
    });
    this.#started = true;
    // A script that names the store gets it now (or earlier, on first use): booting it beside the
    // workers slowed every run's start (BENCHMARKS.md), and nothing needs it to start them. Not at
    // a job's first call: a main busy in a synchronous loop would leave no host to start it. A
    // script that does not name it (bundle.ts usesStore) gets one only if something asks.
    if (bundle.usesStore) instance.startKvs();
  }

  /**
   * Stops the workers. A busy worker finishes its job first, unless `noWait`, which kills them at
   * once (their jobs go back to the queue).
   */
  async stopWorkers({ noWait = false }: { noWait?: boolean } = {}): Promise<void> {
    await this.#starting?.catch(() => {});
    const poolId = this.#poolId;
    const instance = this.#run;
    const hub = instance.kind === "host" ? instance.runningHub : undefined;
    if (poolId !== undefined && hub) {
      await new Promise<void>((resolve) => {
        const done = (message?: { poolId: number }) => {
          if (message && message.poolId !== poolId) return;
          hub.off("pool-stopped", done);
          hub.off("exit", done);
          resolve();
        };
        hub.on("pool-stopped", done);
        hub.on("exit", done);
        hub.send({ type: "stop-pool", poolId, noWait });
      });
    }
    if (this.#onStatus) hub?.off("pool", this.#onStatus);
    if (this.#status) this.#track({ ...this.#status, workers: 0, ready: 0, busy: 0, remoteInPool: undefined });
    this.#started = false;
    this.#starting = this.#poolId = this.#onStatus = undefined;
    if (this.#holdsHub) {
      this.#holdsHub = false;
      await instance.releaseBroker();
    }
  }

  #track(status: PoolStatus): void {
    runStats.workers += status.workers - (this.#status?.workers ?? 0);
    runStats.busy += status.busy - (this.#status?.busy ?? 0);
    if (status.remote !== undefined) runStats.remote = status.remote;
    this.#status = status;
  }
}

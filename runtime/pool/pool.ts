import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { stacklessErrorInfo, type ErrorInfo } from "../util/errors.js";
import { exited, forkEntry } from "../transport/children.js";
import { getLogger } from "../config/logger.js";
import type { HubToWorker, WorkerToHub } from "../wire/ipc.js";
import type { RuntimeContext } from "../wire/context.js";
import { handleMessage, type MessageHandlers } from "../util/message-handlers.js";
import { WORKER_ENTRY } from "./prefork.js";

const log = getLogger("pool");

/** Workers that die before registering this many times in a row mean the script cannot start. */
const MAX_START_FAILURES = 3;

export interface PoolHooks {
  /** A worker process exited; `countAsLoss` is false when the pool was told to stop. */
  gone(id: string, how: string, countAsLoss: boolean): void;
  /** The workers cannot start (the bundle throws at import, or they die at start again and again). */
  fatal(error: ErrorInfo): void;
  /** Every worker of a stopping pool has exited. */
  stopped(): void;
  /** A worker needs the key-value store, which has not started yet. */
  needKvs?(): void;
}

export interface PoolOptions {
  /** The WorkerManager's pool id, in each worker's context. */
  id: number;
  /** Worker processes kept running. */
  count: number;
  /** Watchdog limit of the pool's jobs in milliseconds (0: none), for the broker. */
  watchdogMs: number;
  /** The workers' context; each gets its poolId and workerId added. */
  context: RuntimeContext;
  hooks: PoolHooks;
  /** Names the workers `<idPrefix>.<n>`: the pool id in the hub (the default), the supervisor id on a remote machine. */
  idPrefix?: string;
}

/**
 * One WorkerManager's worker processes: forks them, replaces any that die while the pool runs,
 * and owns their exit.
 */
export class Pool {
  readonly id: number;
  readonly watchdogMs: number;
  #count: number;
  #context: RuntimeContext;
  #hooks: PoolHooks;
  #children = new Map<string, ChildProcess>();
  #registered = new Set<string>();
  /** Workers told to exit (recycled, or the pool stops): their exit is no loss. */
  #released = new Set<string>();
  /** Workers killed on request (a cancel, the watchdog, silence): their exit was asked for, so it is no warning. */
  #killed = new Set<string>();
  #seq = 0;
  #restarts = 0;
  #startFailures = 0;
  #stopping = false;
  #failed = false;
  #idPrefix: string;
  /** What its workers tell it, one handler per type (runtime/wire/ipc.ts). */
  #workerMessages: MessageHandlers<WorkerToHub> = {
    fatal: ({ error }) => this.#fail(error),
    "need-kvs": () => this.#hooks.needKvs?.(),
  };

  constructor({ id, count, watchdogMs, context, hooks, idPrefix = String(id) }: PoolOptions) {
    this.id = id;
    this.#idPrefix = idPrefix;
    this.#count = count;
    this.watchdogMs = watchdogMs;
    this.#context = context;
    this.#hooks = hooks;
    for (let i = 0; i < count; i++) this.#spawn();
  }

  get size(): number {
    return this.#children.size;
  }

  /** Workers started to replace one that exited. */
  get restarts(): number {
    return this.#restarts;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Ids of its live worker processes. */
  workerIds(): string[] {
    return [...this.#children.keys()];
  }

  has(id: string): boolean {
    return this.#children.has(id);
  }

  /** The broker heard from the worker: it started fine. */
  registered(id: string): void {
    this.#registered.add(id);
    this.#startFailures = 0;
  }

  /** Whether the worker's process is running (not stopped, traced, a zombie, or gone). */
  isRunning(id: string): boolean {
    const pid = this.#children.get(id)?.pid;
    if (pid === undefined) return false;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return !/^[TtZXx]/.test(stat.slice(stat.lastIndexOf(")") + 2));
    } catch {
      // No /proc (not Linux): a process that exists is taken as running.
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    }
  }

  /** Kills a worker on request (the broker's, or the host's for a remote pool); the pool replaces it. */
  kill(id: string): void {
    const child = this.#children.get(id);
    if (!child) return;
    this.#killed.add(id);
    child.kill("SIGKILL");
  }

  /** Lets an idle worker exit cleanly. */
  release(id: string): void {
    this.#released.add(id);
    const child = this.#children.get(id);
    if (child?.connected) child.send({ type: "stop" } satisfies HubToWorker);
    else child?.kill("SIGKILL");
  }

  /** Stops every worker: `retire(id)` says whether it is idle now (busy ones are released later). */
  stop(noWait: boolean, retire: (id: string) => boolean): void {
    this.#stopping = true;
    for (const id of this.#children.keys()) {
      if (noWait) this.kill(id);
      else if (retire(id)) this.release(id);
    }
    if (this.#children.size === 0) this.#hooks.stopped();
  }

  /** Kills every worker and resolves when all have exited. */
  async destroy(): Promise<void> {
    this.#stopping = true;
    const children = [...this.#children.values()];
    for (const child of children) child.kill("SIGKILL");
    await Promise.all(children.map(exited));
  }

  #spawn(): void {
    const id = `${this.#idPrefix}.${++this.#seq}`;
    const child = forkEntry(WORKER_ENTRY, { ...this.#context, poolId: this.id, workerId: id });
    this.#children.set(id, child);
    child.on("message", (message: WorkerToHub) => handleMessage(this.#workerMessages, message));
    child.on("exit", (code, signal) => this.#onExit(id, code, signal));
  }

  #onExit(id: string, code: number | null, signal: NodeJS.Signals | null): void {
    this.#children.delete(id);
    const wasRegistered = this.#registered.delete(id);
    const wasReleased = this.#released.delete(id);
    const wasKilled = this.#killed.delete(id);
    const how = signal ? `to signal ${signal}` : `with exit code ${code}`;
    this.#hooks.gone(id, how, !this.#stopping);
    if (this.#stopping || this.#failed) {
      if (this.#children.size === 0 && this.#stopping) this.#hooks.stopped();
      return;
    }
    // A worker killed by a signal before it registered was killed from outside; only workers that
    // exit on their own at start mean the script cannot start.
    if (!wasRegistered && !signal && ++this.#startFailures >= MAX_START_FAILURES) {
      const message = `workers keep exiting before they start (the last one ${how}); see the log above`;
      this.#fail(stacklessErrorInfo(new Error(message)));
      return;
    }
    if (wasKilled) log.info(`worker ${id} exited ${how}, as asked; starting a replacement`);
    else if (!wasReleased) log.warning(`worker ${id} exited ${how}; starting a replacement`);
    if (this.#children.size < this.#count) {
      this.#restarts++;
      this.#spawn();
    }
  }

  #fail(error: ErrorInfo): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#hooks.fatal(error);
    for (const child of this.#children.values()) child.kill("SIGKILL");
  }
}

import type { Router } from "zeromq";
import { WatchdogTimeout, WorkerLost, toErrorInfo, type ErrorInfo } from "../../stdlib/errors.js";
import { getLogger } from "../logger.js";
import { Outbox } from "../outbox.js";
import { Back, Front, PROTOCOL_VERSION, type JobDispatch, type JobRequest, type JobResult, type WorkerHello } from "../protocol.js";
import { decode, encode } from "../serialize.js";

const log = getLogger("broker");

interface QueuedJob {
  client: Buffer;
  request: JobRequest;
  /** How many workers died while running it. */
  lost: number;
  /** How many times it threw (for jobs with `retries`). */
  failures: number;
}

export interface BrokerLimits {
  /** Times a job may lose its worker before it comes back FAILED. */
  maxLost: number;
  /** Resident memory past which a worker is replaced between jobs; 0: never. */
  maxMemoryMb: number;
  /** How often the broker beats to each worker and checks on them. */
  heartbeatMs: number;
  /** A worker silent this long is checked on. */
  silenceMs: number;
}

/** Retry backoff: 100 ms, doubling, at most 10 s. */
const retryDelayMs = (failures: number) => Math.min(100 * 2 ** (failures - 1), 10_000);

interface WorkerSlot {
  id: string;
  pid: number;
  poolId: number;
  watchdogMs: number;
  job?: { queued: QueuedJob; delegatedAt: number; watchdog?: NodeJS.Timeout };
  /** Finish the current job, then leave. */
  retiring: boolean;
  /** When the worker last said anything (any message counts as a heartbeat). */
  lastSeen: number;
}

/** What the broker asks of the process that owns the workers. */
export interface BrokerHooks {
  /** A worker ran past its watchdog limit: kill it (the pool replaces it). */
  killWorker(id: string): void;
  /** A retiring worker has no job left: let it exit. */
  releaseWorker(id: string): void;
  /**
   * A worker missed its heartbeats: is its process still running? A job may block a worker's event
   * loop for minutes; only the owner of the process can tell that from a stopped or vanished one.
   */
  isRunning(id: string): boolean;
  /** Whether `id` is a worker this hub started (anything else saying READY is ignored). */
  isWorker(id: string): boolean;
  /** A worker registered: it started fine. */
  workerReady(id: string): void;
  /** Busy or registered counts changed. */
  changed(): void;
  /** Watchdog limit of a pool, in milliseconds (0: none). */
  watchdogMs(poolId: number): number;
}

/**
 * ZeroMQ's load-balancing broker: jobs from the frontend wait in one FIFO queue and go to the
 * next idle worker on the backend; each result goes back to the client that submitted the job.
 * The broker alone decides a job's fate, so a job ends exactly once whatever its worker does.
 */
export class Broker {
  #front: Outbox;
  #back: Outbox;
  #hooks: BrokerHooks;
  #queue: QueuedJob[] = [];
  #queueHead = 0;
  #idle: string[] = [];
  #workers = new Map<string, WorkerSlot>();
  #limits: BrokerLimits;

  constructor(frontend: Router, backend: Router, hooks: BrokerHooks, limits: BrokerLimits) {
    const onError = (error: Error) => log.error(`send failed: ${error.message}`);
    this.#front = new Outbox(frontend, onError);
    this.#back = new Outbox(backend, onError);
    this.#hooks = hooks;
    this.#limits = limits;
    void this.#serve(frontend, (frames) => this.#onClient(frames));
    void this.#serve(backend, (frames) => this.#onWorker(frames));
    this.#liveness = setInterval(() => this.#checkLiveness(), limits.heartbeatMs);
  }

  #liveness: NodeJS.Timeout;

  close(): void {
    clearInterval(this.#liveness);
  }

  /** Workers that registered and are alive, and those running a job, for one pool. */
  counts(poolId: number): { ready: number; busy: number } {
    let ready = 0;
    let busy = 0;
    for (const slot of this.#workers.values()) {
      if (slot.poolId !== poolId) continue;
      ready++;
      if (slot.job) busy++;
    }
    return { ready, busy };
  }

  /** Stop giving `id` jobs; returns true when it holds none and may leave now. */
  retire(id: string): boolean {
    const slot = this.#workers.get(id);
    if (!slot) return true;
    slot.retiring = true;
    this.#idle = this.#idle.filter((idle) => idle !== id);
    return !slot.job;
  }

  /** A worker process is gone: its job goes back to the queue, or fails once it has been lost too often. */
  workerGone(id: string, how: string, countAsLoss = true): void {
    const slot = this.#workers.get(id);
    if (!slot) return;
    this.#workers.delete(id);
    this.#idle = this.#idle.filter((idle) => idle !== id);
    const job = slot.job;
    if (job) {
      clearTimeout(job.watchdog);
      const queued = job.queued;
      if (countAsLoss) queued.lost++;
      if (queued.lost > this.#limits.maxLost) {
        const times = queued.lost > 1 ? ` (${queued.lost} workers lost running it; quarantined)` : "";
        const message = `Job ${queued.request.id} (${queued.request.fn}) failed: its worker (pid ${slot.pid}) was lost ${how}${times}`;
        this.#reply(queued.client, { id: queued.request.id, ok: false, error: brokerError(new WorkerLost(message)), delegatedAt: job.delegatedAt, workerPid: slot.pid });
      } else {
        if (countAsLoss) log.warning(`worker pid ${slot.pid} was lost ${how}; re-dispatching job ${queued.request.id}`);
        this.#queue.splice(this.#queueHead, 0, queued);
      }
    }
    this.#hooks.changed();
    this.#dispatch();
  }

  async #serve(socket: Router, handle: (frames: Buffer[]) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        try {
          handle(frames);
        } catch (error) {
          log.error(`dropped a malformed message: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      if (!socket.closed) log.error(`socket failed: ${(error as Error).message}`);
    }
  }

  #onClient([client, command, payload]: Buffer[]): void {
    if (command?.toString() !== Front.SUBMIT || !client || !payload) throw new Error(`unknown frontend command ${command?.toString()}`);
    const requests = decode<JobRequest[]>(payload);
    if (!Array.isArray(requests)) throw new Error("submit payload is not a list of jobs");
    for (const request of requests) {
      if (typeof request?.id !== "string" || typeof request.fn !== "string" || !(request.args instanceof Uint8Array)) {
        throw new Error("submit payload holds a malformed job");
      }
    }
    for (const request of requests) this.#queue.push({ client, request, lost: 0, failures: 0 });
    this.#dispatch();
  }

  #onWorker([id, command, payload]: Buffer[]): void {
    const workerId = id!.toString();
    const slot = this.#workers.get(workerId);
    if (slot) slot.lastSeen = Date.now();
    switch (command?.toString()) {
      case Back.HEARTBEAT:
        return;
      case Back.READY:
        return this.#register(workerId, JSON.parse(payload!.toString()) as WorkerHello);
      case Back.RESULTS:
        return this.#finish(workerId, decode<JobResult[]>(payload!));
      default:
        throw new Error(`unknown backend command ${command?.toString()} from ${workerId}`);
    }
  }

  #register(id: string, hello: WorkerHello): void {
    if (!this.#hooks.isWorker(id)) throw new Error(`READY from unknown worker ${JSON.stringify(id.slice(0, 64))}`);
    if (this.#workers.has(id)) {
      // It lost us and reconnected: whatever it held went with the old connection.
      log.warning(`worker ${id} reconnected; re-dispatching any job it held`);
      this.workerGone(id, "when its connection dropped", false);
    }
    if (hello.version !== PROTOCOL_VERSION) {
      log.error(`worker ${id} speaks protocol ${hello.version}, this broker ${PROTOCOL_VERSION}; ignored`);
      return;
    }
    this.#workers.set(id, { id, pid: hello.pid, poolId: hello.poolId, watchdogMs: this.#hooks.watchdogMs(hello.poolId), retiring: false, lastSeen: Date.now() });
    this.#idle.push(id);
    this.#hooks.workerReady(id);
    this.#dispatch();
  }

  #finish(id: string, results: JobResult[]): void {
    const slot = this.#workers.get(id);
    if (!slot) return; // already declared lost or killed: its job has been settled elsewhere
    let memoryMb = 0;
    for (const result of results) {
      const job = slot.job;
      if (!job || job.queued.request.id !== result.id) continue;
      clearTimeout(job.watchdog);
      slot.job = undefined;
      memoryMb = Math.max(memoryMb, result.memoryMb ?? 0);
      if (!result.ok && this.#retry(job.queued)) continue;
      delete result.memoryMb;
      this.#reply(job.queued.client, { ...result, delegatedAt: job.delegatedAt });
    }
    if (this.#limits.maxMemoryMb > 0 && memoryMb > this.#limits.maxMemoryMb && !slot.retiring) {
      log.info(`worker pid ${slot.pid} uses ${Math.round(memoryMb)} MiB (limit ${this.#limits.maxMemoryMb}); replacing it`);
      slot.retiring = true;
    }
    if (slot.retiring) this.#hooks.releaseWorker(id);
    else this.#idle.push(id);
    this.#hooks.changed();
    this.#dispatch();
  }

  #dispatch(): void {
    while (this.#queueHead < this.#queue.length && this.#idle.length > 0) {
      const slot = this.#workers.get(this.#idle.shift()!);
      if (!slot || slot.retiring || slot.job) continue;
      const queued = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as QueuedJob;
      const dispatch: JobDispatch = { ...queued.request, delegatedAt: Date.now() };
      const limitMs = queued.request.timeoutMs ?? slot.watchdogMs;
      slot.job = { queued, delegatedAt: dispatch.delegatedAt };
      if (limitMs > 0) slot.job.watchdog = setTimeout(() => this.#watchdogExpired(slot, limitMs), limitMs);
      this.#back.send([slot.id, Back.JOBS, encode([dispatch])]);
    }
    this.#compactQueue();
    this.#hooks.changed();
  }

  /** Beats to every worker (so each can tell a lost broker); declares lost, and kills, workers that fell silent and whose process is not running. */
  #checkLiveness(): void {
    const now = Date.now();
    for (const slot of [...this.#workers.values()]) {
      this.#back.send([slot.id, Back.HEARTBEAT]);
      if (now - slot.lastSeen <= this.#limits.silenceMs) continue;
      if (this.#hooks.isRunning(slot.id)) {
        slot.lastSeen = now; // busy in a long synchronous job: check again later
        continue;
      }
      this.workerGone(slot.id, `after ${Math.round(this.#limits.silenceMs)} ms without a heartbeat (stopped or unreachable)`);
      this.#hooks.killWorker(slot.id);
    }
  }

  /** Queues a failed job again after a backoff if it asked for retries and has some left. */
  #retry(queued: QueuedJob): boolean {
    const retries = queued.request.retries ?? 0;
    if (queued.failures >= retries) return false;
    queued.failures++;
    const delayMs = retryDelayMs(queued.failures);
    log.info(`job ${queued.request.id} (${queued.request.fn}) threw; retry ${queued.failures} of ${retries} in ${delayMs} ms`);
    setTimeout(() => {
      this.#queue.push(queued);
      this.#dispatch();
    }, delayMs);
    return true;
  }

  #watchdogExpired(slot: WorkerSlot, limitMs: number): void {
    const job = slot.job;
    if (!job || this.#workers.get(slot.id) !== slot) return;
    this.#workers.delete(slot.id);
    const { request, client } = job.queued;
    const message = `Job ${request.id} (${request.fn}) ran longer than its ${limitMs / 1000} s watchdog limit; its worker (pid ${slot.pid}) was killed and replaced`;
    log.warning(message);
    this.#reply(client, { id: request.id, ok: false, error: brokerError(new WatchdogTimeout(message)), delegatedAt: job.delegatedAt, workerPid: slot.pid });
    this.#hooks.killWorker(slot.id);
    this.#hooks.changed();
  }

  #reply(client: Buffer, result: JobResult): void {
    this.#front.send([client, Front.RESULTS, encode([result])]);
  }

  /** Drops the consumed head of the queue once it is large, so memory follows the backlog. */
  #compactQueue(): void {
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }
}

/** Errors the broker raises about a job: their stack would show the broker, not the user's code. */
function brokerError(error: Error): ErrorInfo {
  const info = toErrorInfo(error);
  info.stack = `${info.name}: ${info.message}`;
  return info;
}

import { Cancelled, WatchdogTimeout, WorkerLost, toErrorInfo, type ErrorInfo } from "../util/errors.js";
import { packBatches, unpackBatch } from "../wire/job-batch.js";
import { getLogger } from "../config/logger.js";
import { Outbox } from "../transport/outbox.js";
import { Back, Front, type JobDispatch, type JobRequest, type JobResult, type WorkerHello } from "../wire/jobs.js";
import { PROTOCOL_VERSION } from "../wire/context.js";
import { JobTimes, MAX_AHEAD, NEXT_LEAD_MS, TARGET_AHEAD_MS } from "./credit.js";
import { DIRECT_MAX_JOBS } from "../transport/direct.js";
import { HeldJobs } from "./held-jobs.js";
import { PriorityQueue } from "./priority-queue.js";
import type { RouterLike } from "./router-group.js";

const log = getLogger("broker");

interface QueuedJob {
  client: Buffer;
  request: JobRequest;
  /** How many workers died while running it. */
  lost: number;
  /** How many times it threw (for jobs with `retries`). */
  failures: number;
}

interface HeldJob {
  id: string;
  queued: QueuedJob;
  delegatedAt: number;
  /** Cancelled and answered already; held until its worker reports it skipped (or ran) it. */
  cancelled?: boolean;
}

interface WorkerSlot {
  id: string;
  pid: number;
  poolId: number;
  watchdogMs: number;
  /** Jobs sent to the worker, in the order it runs them: the first is running. */
  jobs: HeldJobs<HeldJob>;
  /** Expected milliseconds of work the worker holds. */
  aheadMs: number;
  /** Watchdog of the running job. */
  watchdog?: NodeJS.Timeout;
  /** Sends the running long job's successor just before the job is expected to end (#planNext). */
  next?: NodeJS.Timeout;
  /** Finish the jobs held, then leave. */
  retiring: boolean;
  /** When the worker last said anything (any message counts as a heartbeat). */
  lastSeen: number;
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

/** What the broker asks of the process that owns the workers. */
export interface BrokerHooks {
  /** A worker ran past its watchdog limit, or fell silent: kill it (the pool replaces it). */
  killWorker(id: string): void;
  /** A retiring worker holds no job: let it exit. */
  releaseWorker(id: string): void;
  /** Whether the worker's process runs: a job may block its event loop (and heartbeats) for minutes. */
  isRunning(id: string): boolean;
  /** Whether `id` is a worker this hub started (anything else saying READY is ignored). */
  isWorker(id: string): boolean;
  /** A worker registered: it started fine. */
  workerReady(id: string): void;
  /** Busy or registered counts changed. */
  changed(): void;
  /** Watchdog limit of a pool, in milliseconds (0: none). */
  watchdogMs(poolId: number): number;
  /** Whether `client` may have direct copies of its results sent to `path` (a results socket of this run). */
  acceptsResultsSocket(client: Buffer, path: string): boolean;
}

/** Longest a socket's messages are handled before the other socket and the timers get a turn. */
const FAIR_TURN_MS = 5;

/** Retry backoff: 100 ms, doubling, at most 10 s. */
const retryDelayMs = (failures: number) => Math.min(100 * 2 ** (failures - 1), 10_000);

/**
 * ZeroMQ's load-balancing broker: jobs from the frontend wait in one queue (by priority, then FIFO) and go to workers
 * with room on the backend, in batches sized by how long the jobs take (see credit.ts); each
 * result goes back to the client that submitted the job. The broker alone decides a job's fate,
 * so a job ends exactly once whatever its worker does.
 */
export class Broker {
  #front: Outbox;
  #back: Outbox;
  #hooks: BrokerHooks;
  #limits: BrokerLimits;
  #queue = new PriorityQueue<QueuedJob>((job) => job.request.priority ?? 0);
  /** Failed jobs waiting out their retry backoff. */
  #retrying = new Set<QueuedJob>();
  #workers = new Map<string, WorkerSlot>();
  /** Clients' results sockets (Front.DIRECT), by routing id (latin1). */
  #resultsSockets = new Map<string, string>();
  #times = new JobTimes();
  /** Results gathered while handling one message, per client. */
  #replies = new Map<Buffer, JobResult[]>();
  #clients = new Map<string, Buffer>();
  #liveness: NodeJS.Timeout;

  constructor(frontend: RouterLike, backend: RouterLike, hooks: BrokerHooks, limits: BrokerLimits) {
    const onError = (error: Error) => log.error(`send failed: ${error.message}`);
    this.#front = new Outbox(frontend, onError);
    this.#back = new Outbox(backend, onError);
    this.#hooks = hooks;
    this.#limits = limits;
    void this.#serve(frontend, (frames) => this.#onClient(frames));
    void this.#serve(backend, (frames) => this.#onWorker(frames));
    this.#liveness = setInterval(() => this.#checkLiveness(), limits.heartbeatMs);
  }

  close(): void {
    clearInterval(this.#liveness);
  }

  /** Workers that registered and are alive, and those holding jobs, for one pool. */
  counts(poolId: number): { ready: number; busy: number } {
    let ready = 0;
    let busy = 0;
    for (const slot of this.#workers.values()) {
      if (slot.poolId !== poolId) continue;
      ready++;
      if (slot.jobs.length > 0) busy++;
    }
    return { ready, busy };
  }

  /** Stop giving `id` jobs; returns true when it holds none and may leave now. */
  retire(id: string): boolean {
    const slot = this.#workers.get(id);
    if (!slot) return true;
    slot.retiring = true;
    return slot.jobs.length === 0;
  }

  /**
   * A worker is gone: the job it was running goes back to the queue (or fails, once lost too
   * often); the jobs it held but had not started go back as they were.
   */
  workerGone(id: string, how: string, countAsLoss = true): void {
    const slot = this.#workers.get(id);
    if (!slot) return;
    this.#workers.delete(id);
    clearTimeout(slot.watchdog);
    clearTimeout(slot.next);
    const [running, ...waiting] = slot.jobs.drain().filter((held) => !held.cancelled); // those were answered
    const requeue = waiting.map(({ queued }) => queued);
    if (running) {
      const { queued } = running;
      if (countAsLoss) queued.lost++;
      if (queued.lost > this.#limits.maxLost) {
        const times = queued.lost > 1 ? ` (${queued.lost} workers lost running it; quarantined)` : "";
        const message = `Job ${queued.request.id} (${queued.request.fn}) failed: its worker (pid ${slot.pid}) was lost ${how}${times}`;
        this.#reply(queued.client, { id: queued.request.id, ok: false, error: brokerError(new WorkerLost(message)), delegatedAt: running.delegatedAt, workerPid: slot.pid });
      } else {
        if (countAsLoss) log.warning(`worker pid ${slot.pid} was lost ${how}; re-dispatching job ${queued.request.id}`);
        requeue.unshift(queued);
      }
    }
    this.#queue.unshift(requeue);
    this.#hooks.changed();
    this.#dispatch();
    this.#flushReplies();
  }

  async #serve(socket: RouterLike, handle: (frames: Buffer[]) => void): Promise<void> {
    let turnStarted = performance.now();
    try {
      for await (const frames of socket) {
        try {
          handle(frames);
        } catch (error) {
          log.error(`dropped a malformed message: ${(error as Error).message}`);
        }
        this.#flushReplies();
        // zeromq.js hands over queued messages without leaving the event loop turn: a flood of
        // submits would starve the workers' results (and fire watchdogs on jobs long done).
        if (performance.now() - turnStarted > FAIR_TURN_MS) {
          await new Promise(setImmediate);
          turnStarted = performance.now();
        }
      }
    } catch (error) {
      if (!socket.closed) log.error(`socket failed: ${(error as Error).message}`);
    }
  }

  #onClient(frames: Buffer[]): void {
    const [identity, command] = frames;
    const name = command?.toString();
    if (!identity || (name !== Front.SUBMIT && name !== Front.CANCEL && name !== Front.DIRECT)) throw new Error(`unknown frontend command ${name?.slice(0, 32)}`);
    const client = this.#intern(identity);
    if (name === Front.CANCEL) return this.#cancel(client, JSON.parse(frames[2]!.toString()) as unknown);
    if (name === Front.DIRECT) return this.#acceptResultsSocket(client, frames[2]?.toString() ?? "");
    const requests = unpackBatch<JobRequest>(frames, 2, "args");
    for (const request of requests) {
      if (typeof request.id !== "string" || typeof request.fn !== "string" || !request.args) throw new Error("submit holds a malformed job");
      if (request.priority !== undefined && !Number.isFinite(request.priority)) throw new Error(`job ${request.id} has a malformed priority`);
    }
    for (const request of requests) this.#queue.push({ client, request, lost: 0, failures: 0 });
    this.#dispatch();
  }

  #acceptResultsSocket(client: Buffer, path: string): void {
    if (!this.#hooks.acceptsResultsSocket(client, path)) throw new Error(`direct: ${JSON.stringify(path.slice(0, 200))} is not a results socket of this run`);
    if (this.#resultsSockets.size > 10_000) this.#resultsSockets.clear(); // bounded, as #clients; a forgotten client only gets no direct copies
    this.#resultsSockets.set(client.toString("latin1"), path);
  }

  /** One Buffer per client, so its results gather under one key until they are flushed. */
  #intern(identity: Buffer): Buffer {
    const key = identity.toString("latin1");
    let client = this.#clients.get(key);
    if (!client) {
      if (this.#clients.size > 10_000) this.#clients.clear(); // bounded; a cleared client only batches less
      this.#clients.set(key, (client = identity));
    }
    return client;
  }

  /**
   * Ends the client's jobs with `ids` FAILED with Cancelled: a waiting job leaves the queue, a job
   * held but not started is dropped by its worker, and a running one has its worker killed (the
   * pool replaces it). Ids the broker no longer holds (finished, or never sent) are ignored.
   */
  #cancel(client: Buffer, ids: unknown): void {
    if (!Array.isArray(ids)) throw new Error("cancel holds no list of job ids");
    const wanted = new Set(ids);
    const ours = (queued: QueuedJob) => wanted.has(queued.request.id) && queued.client.equals(client);
    const cancelled = (queued: QueuedJob, how: string, extra: Partial<JobResult> = {}) => {
      const { id, fn } = queued.request;
      this.#reply(queued.client, { id, ok: false, error: brokerError(new Cancelled(`Job ${id} (${fn}) was cancelled ${how}`)), ...extra });
    };
    for (const queued of this.#queue.removeAll(ours)) cancelled(queued, "before it started");
    for (const queued of this.#retrying) {
      if (!ours(queued)) continue;
      this.#retrying.delete(queued);
      cancelled(queued, "while waiting to be retried");
    }
    for (const slot of [...this.#workers.values()]) {
      const running = slot.jobs.running;
      // Held, not started: answered now; it stays held (the worker may have started it meanwhile)
      // until the worker reports it, so the broker's view of what the worker runs stays true.
      const dropped: string[] = [];
      for (const held of slot.jobs.all()) {
        if (held === running || held.cancelled || !ours(held.queued)) continue;
        held.cancelled = true;
        cancelled(held.queued, "before it started", { delegatedAt: held.delegatedAt, workerPid: slot.pid });
        dropped.push(held.id);
      }
      if (dropped.length > 0) this.#back.send([slot.id, Back.CANCEL, JSON.stringify(dropped)]);
      if (running && !running.cancelled && ours(running.queued)) {
        this.#stopRunning(slot, new Cancelled(`Job ${running.id} (${running.queued.request.fn}) was cancelled while running; its worker (pid ${slot.pid}) was killed and replaced`));
      }
    }
    this.#hooks.changed();
  }

  #onWorker(frames: Buffer[]): void {
    const [id, command, payload] = frames;
    const workerId = id!.toString();
    const slot = this.#workers.get(workerId);
    if (slot) slot.lastSeen = Date.now();
    switch (command?.toString()) {
      case Back.HEARTBEAT:
        return;
      case Back.READY:
        return this.#register(workerId, JSON.parse(payload!.toString()) as WorkerHello);
      case Back.RESULTS:
        if (slot) this.#finish(slot, unpackBatch<JobResult>(frames, 2, "value"), frames.slice(2));
        return; // from a worker already declared lost: its jobs were settled elsewhere
      default:
        throw new Error(`unknown backend command ${command?.toString().slice(0, 32)} from ${workerId.slice(0, 32)}`);
    }
  }

  #register(id: string, hello: WorkerHello): void {
    if (!this.#hooks.isWorker(id)) throw new Error(`READY from unknown worker ${JSON.stringify(id.slice(0, 64))}`);
    if (hello.version !== PROTOCOL_VERSION) throw new Error(`worker ${id} speaks protocol ${hello.version}, this broker ${PROTOCOL_VERSION}`);
    if (this.#workers.has(id)) {
      // It lost us and reconnected: whatever it held went with the old connection.
      log.warning(`worker ${id} reconnected; re-dispatching any job it held`);
      this.workerGone(id, "when its connection dropped", false);
    }
    const slot: WorkerSlot = { id, pid: hello.pid, poolId: hello.poolId, watchdogMs: this.#hooks.watchdogMs(hello.poolId), jobs: new HeldJobs(), aheadMs: 0, retiring: false, lastSeen: Date.now() };
    this.#workers.set(id, slot);
    this.#hooks.workerReady(id);
    this.#hooks.changed();
    this.#dispatch();
  }

  /**
   * Settles a worker's results. `batch`: their header and payload frames, forwarded to the client
   * as they are when every result goes to that one client (the usual case: re-packing a batch
   * cost the hub a JSON.stringify per job); the worker's own fields in it (`runMs`, `memoryMb`)
   * are ignored there.
   */
  #finish(slot: WorkerSlot, results: JobResult[], batch: Buffer[]): void {
    let memoryMb = 0;
    const replies: JobResult[] = [];
    const clients: Buffer[] = [];
    let whole = true;
    for (const result of results) {
      const held = slot.jobs.take(result.id);
      if (!held) {
        whole = false;
        continue;
      }
      const { queued, delegatedAt } = held;
      slot.aheadMs = Math.max(0, slot.aheadMs - this.#expectedMs(queued));
      if (result.runMs !== undefined) this.#times.observe(queued.request.fn, result.runMs);
      memoryMb = Math.max(memoryMb, result.memoryMb ?? 0);
      if (held.cancelled || (!result.ok && this.#retry(queued))) {
        whole = false;
        continue;
      }
      if (result.delegatedAt !== delegatedAt || (clients.length > 0 && clients[0] !== queued.client)) whole = false;
      result.delegatedAt = delegatedAt;
      replies.push(result);
      clients.push(queued.client);
    }
    if (slot.jobs.length === 0) slot.aheadMs = 0; // drop rounding drift
    this.#armWatchdog(slot);
    this.#planNext(slot);
    if (this.#limits.maxMemoryMb > 0 && memoryMb > this.#limits.maxMemoryMb && !slot.retiring) {
      log.info(`worker pid ${slot.pid} uses ${Math.round(memoryMb)} MiB (limit ${this.#limits.maxMemoryMb}); replacing it`);
      slot.retiring = true;
    }
    if (slot.retiring && slot.jobs.length === 0) this.#hooks.releaseWorker(slot.id);
    this.#hooks.changed();
    // The worker's next jobs first: each send wakes another process, and the worker waits idle
    // until its jobs come (80 jobs of 50 ms lost ~1.5 ms each between two jobs).
    this.#dispatch();
    if (whole && replies.length > 0) this.#front.send([clients[0]!, Front.RESULTS, ...batch]);
    else {
      for (let i = 0; i < replies.length; i++) {
        // Cleared, not deleted (JSON leaves undefined out): `delete` turns each result into a slow dictionary object.
        replies[i]!.memoryMb = replies[i]!.runMs = undefined;
        this.#reply(clients[i]!, replies[i]!);
      }
    }
  }

  /** Fills every worker up to its budget, in batches, spreading what is left over all of them. */
  #dispatch(): void {
    if (this.#queue.length === 0) return;
    let open = this.#openWorkers();
    for (const slot of this.#workers.values()) {
      if (this.#queue.length === 0) break;
      if (slot.retiring) continue;
      const share = Math.ceil(this.#queue.length / open--); // the tail of the queue, shared fairly
      const batch: JobDispatch[] = [];
      const clients: Buffer[] = [];
      const delegatedAt = Date.now();
      while (batch.length < share && batch.length < MAX_AHEAD && this.#queue.length > 0) {
        const next = this.#queue.shift()!;
        const expected = this.#expectedMs(next);
        if (slot.jobs.length > 0 && slot.aheadMs + expected > TARGET_AHEAD_MS) {
          this.#queue.unshift([next]);
          break;
        }
        batch.push(this.#hold(slot, next, delegatedAt));
        if (batch.length <= DIRECT_MAX_JOBS) clients.push(next.client); // only a small dispatch asks for copies
      }
      if (batch.length === 0) continue;
      if (batch.length <= DIRECT_MAX_JOBS) this.#askForCopies(batch, clients);
      if (slot.jobs.length === batch.length) {
        // It was idle: the first job starts now.
        this.#armWatchdog(slot);
        this.#planNext(slot);
      }
      for (const message of packBatches(Back.JOBS, batch, "args")) this.#back.send([Buffer.from(slot.id), ...message]);
    }
    this.#hooks.changed();
  }

  /** Names its client's results socket in each job of a small dispatch (runtime/transport/direct.ts; a remote worker ignores it). */
  #askForCopies(batch: JobDispatch[], clients: Buffer[]): void {
    if (this.#resultsSockets.size === 0) return;
    for (let i = 0; i < batch.length; i++) {
      const path = this.#resultsSockets.get(clients[i]!.toString("latin1"));
      if (path) batch[i]!.replyTo = path;
    }
  }

  /** The worker holds `queued` from now: its dispatch, stamped. */
  #hold(slot: WorkerSlot, queued: QueuedJob, delegatedAt: number): JobDispatch {
    slot.jobs.push({ id: queued.request.id, queued, delegatedAt });
    slot.aheadMs += this.#expectedMs(queued);
    // Stamped in place, not copied: V8 promoted a copy per job to its old generation.
    const dispatch = queued.request as JobDispatch;
    dispatch.delegatedAt = delegatedAt;
    return dispatch;
  }

  /**
   * A worker runs one long job at a time, so no job waits behind another while a worker idles;
   * but then each job also waits for the round trip that reports its predecessor (80 jobs of
   * 50 ms: ~1.5 ms each, while the hub and the worker wake from 50 ms of sleep). So when the job
   * it runs is timed as long, its successor is sent NEXT_LEAD_MS before it is expected to end —
   * only while the queue holds more jobs than there are workers, so each other worker has one of
   * its own; the most a job can then wait behind another is that one's overrun, near the end of a
   * queue of jobs that vary.
   */
  #planNext(slot: WorkerSlot): void {
    clearTimeout(slot.next);
    const running = slot.jobs.running;
    if (!running || slot.jobs.length !== 1) return;
    const expectedMs = this.#times.expectedMs(running.queued.request.fn);
    if (!Number.isFinite(expectedMs) || expectedMs <= TARGET_AHEAD_MS) return;
    slot.next = setTimeout(() => {
      if (slot.retiring || slot.jobs.running !== running || slot.jobs.length !== 1 || this.#queue.length <= this.#openWorkers()) return;
      const dispatch = this.#hold(slot, this.#queue.shift()!, Date.now());
      for (const message of packBatches(Back.JOBS, [dispatch], "args")) this.#back.send([Buffer.from(slot.id), ...message]);
      this.#hooks.changed();
    }, Math.max(0, expectedMs - NEXT_LEAD_MS));
  }

  /** Workers that take new jobs (not retiring). */
  #openWorkers(): number {
    let open = 0;
    for (const slot of this.#workers.values()) if (!slot.retiring) open++;
    return open;
  }

  #expectedMs(queued: QueuedJob): number {
    const expected = this.#times.expectedMs(queued.request.fn);
    return Number.isFinite(expected) ? expected : TARGET_AHEAD_MS; // untimed: fills a worker on its own
  }

  /** (Re)starts the watchdog of the job the worker runs now, the first it holds. */
  #armWatchdog(slot: WorkerSlot): void {
    clearTimeout(slot.watchdog);
    slot.watchdog = undefined;
    const running = slot.jobs.running;
    if (!running) return;
    const limitMs = running.queued.request.timeoutMs ?? slot.watchdogMs;
    if (limitMs > 0) slot.watchdog = setTimeout(() => this.#watchdogExpired(slot, limitMs), limitMs);
  }

  /** Beats to every worker (so each can tell a lost broker); declares lost, and kills, silent workers whose process is not running. */
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
    this.#flushReplies();
  }

  /** Queues a failed job again after a backoff if it asked for retries and has some left. */
  #retry(queued: QueuedJob): boolean {
    const retries = queued.request.retries ?? 0;
    if (queued.failures >= retries) return false;
    queued.failures++;
    const delayMs = retryDelayMs(queued.failures);
    log.info(`job ${queued.request.id} (${queued.request.fn}) threw; retry ${queued.failures} of ${retries} in ${delayMs} ms`);
    this.#retrying.add(queued);
    setTimeout(() => {
      if (!this.#retrying.delete(queued)) return; // cancelled meanwhile
      this.#queue.push(queued);
      this.#dispatch();
    }, delayMs);
    return true;
  }

  #watchdogExpired(slot: WorkerSlot, limitMs: number): void {
    const running = slot.jobs.running;
    if (!running || this.#workers.get(slot.id) !== slot) return;
    const { id, fn, timeoutMs } = running.queued.request;
    // Say how to allow longer: the limit that fired is the job's own timeout, else its pool's.
    const raise = timeoutMs !== undefined
      ? "raise the job's timeout option (seconds; 0 disables)"
      : "raise it with --watchdog SECONDS, STRMBRKR_WORKER_WATCHDOG_TERMINATE_AFTER or WorkerManager's watchdogTerminateAfter (0 disables), or give the job a timeout option (seconds)";
    const message = `Job ${id} (${fn}) ran longer than its ${limitMs / 1000} s watchdog limit; its worker (pid ${slot.pid}) was killed and replaced; to allow longer, ${raise}`;
    log.warning(message);
    this.#stopRunning(slot, new WatchdogTimeout(message));
  }

  /** Fails the job the worker runs with `error`, and kills the worker: the only way to stop running code. */
  #stopRunning(slot: WorkerSlot, error: Error): void {
    const running = slot.jobs.take(slot.jobs.running!.id)!;
    if (!running.cancelled) this.#reply(running.queued.client, { id: running.id, ok: false, error: brokerError(error), delegatedAt: running.delegatedAt, workerPid: slot.pid });
    this.workerGone(slot.id, `after ${error.name}`, false); // the jobs it held but had not started go back
    this.#hooks.killWorker(slot.id);
    this.#flushReplies();
  }

  /** Gathers a result for its client; `#flushReplies` sends each client's gathered results as one message. */
  #reply(client: Buffer, result: JobResult): void {
    let pending = this.#replies.get(client);
    if (!pending) this.#replies.set(client, (pending = []));
    pending.push(result);
  }

  #flushReplies(): void {
    for (const [client, results] of this.#replies) {
      for (const message of packBatches(Front.RESULTS, results, "value")) this.#front.send([client, ...message]);
    }
    this.#replies.clear();
  }
}

/** Errors the broker raises about a job: their stack would show the broker, not the user's code. */
function brokerError(error: Error): ErrorInfo {
  const info = toErrorInfo(error);
  info.stack = `${info.name}: ${info.message}`;
  return info;
}

import { Cancelled, WatchdogTimeout, WorkerLost, stacklessErrorInfo } from "../util/errors.js";
import { packBatches, unpackBatch } from "../wire/job-batch.js";
import { jobJson } from "../wire/job-json.js";
import { getLogger } from "../config/logger.js";
import { Outbox } from "../transport/outbox.js";
import {
  Back,
  Front,
  processedAtOf,
  startedAtOf,
  type JobDispatch,
  type JobRequest,
  type JobResult,
  type LeaseGrant,
  type WorkerHello,
} from "../wire/jobs.js";
import { resultsSocketPid } from "../transport/direct.js";
import { PROTOCOL_VERSION } from "../wire/context.js";
import type { Activity } from "./activity.js";
import { JobTimes } from "./credit.js";
import { Leases, openToQueue } from "./leases.js";
import { PriorityQueue } from "./priority-queue.js";
import { Replies } from "./replies.js";
import type { RouterLike } from "./router-group.js";
import { expectedMs, priorityOf, retryAfterMs, schedule, successorDelayMs, takeSuccessor, type QueuedJob } from "./scheduler.js";
import { serveInTurns } from "./serve.js";
import { WorkerSlots, type WorkerSlot } from "./worker-slots.js";

const log = getLogger("broker");

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
  /** `jobs` results came from workers. */
  ended?(jobs: number): void;
  /** Watchdog limit of a pool, in milliseconds (0: none). */
  watchdogMs(poolId: number): number;
  /** Whether `client` may have direct copies of its results sent to `path` (a results socket of this run). */
  acceptsResultsSocket(client: Buffer, path: string): boolean;
  /** Where a local worker (`pid`) takes leased jobs; undefined for a remote one (never leased). */
  leaseSocketOf(id: string, pid: number): string | undefined;
}

export interface BrokerOptions {
  /** Where QueueManagers submit jobs and get results. */
  frontend: RouterLike;
  /** Where workers register, take jobs and report results. */
  backend: RouterLike;
  hooks: BrokerHooks;
  limits: BrokerLimits;
}

/**
 * ZeroMQ's load-balancing broker: jobs from the frontend wait in one queue (by priority, then FIFO) and go to workers
 * with room on the backend, in batches sized by how long the jobs take (see credit.ts); each
 * result goes back to the client that submitted the job. The broker alone decides a job's fate,
 * so a job ends exactly once whatever its worker does. What goes to whom is the scheduler's
 * answer (scheduler.ts); the workers' watchdogs and liveness are the slot registry's (worker-slots.ts).
 */
export class Broker {
  #front: Outbox;
  #back: Outbox;
  #hooks: BrokerHooks;
  #limits: BrokerLimits;
  #queue = new PriorityQueue<QueuedJob>(priorityOf);
  /** Failed jobs waiting out their retry backoff. */
  #retrying = new Set<QueuedJob>();
  #slots: WorkerSlots;
  /** Clients' results sockets (Front.DIRECT) and their processes, by routing id (latin1). */
  #resultsSockets = new Map<string, { path: string; pid: number }>();
  /** Workers whose running job waits on jobs it queued (`WorkerSlot.waitsOnItsJobs`). */
  #waitingOnJobs = 0;
  /** Idle local workers lent to a QueueManager for its lone jobs (leases.ts). */
  #leases = new Leases();
  /**
   * Cancels of jobs the broker did not know (client, then id): under a lease being revoked, a
   * leased job's cancel can be read before the worker's REVOKED or PASSED of it, which travel on
   * another socket. Bounded; a job finished before its cancel came leaves an entry never used.
   */
  #earlyCancels = new Set<string>();
  #times = new JobTimes();
  #replies: Replies;
  #clients = new Map<string, Buffer>();
  /** While the host watches (the dashboard, metrics): what each job's end adds to it. */
  #activity?: Activity;

  constructor({ frontend, backend, hooks, limits }: BrokerOptions) {
    const onError = (error: Error) => log.error(`send failed: ${error.message}`);
    this.#front = new Outbox(frontend, onError);
    this.#back = new Outbox(backend, onError);
    this.#hooks = hooks;
    this.#limits = limits;
    this.#replies = new Replies(this.#front);
    const flush = () => this.#replies.flush();
    void serveInTurns(frontend, (frames) => this.#onClient(frames), flush);
    void serveInTurns(backend, (frames) => this.#onWorker(frames), flush);
    this.#slots = new WorkerSlots({
      heartbeatMs: limits.heartbeatMs,
      silenceMs: limits.silenceMs,
      events: {
        beat: (slot) => this.#back.send([slot.id, Back.HEARTBEAT]),
        isRunning: (id) => hooks.isRunning(id),
        silent: (slot) => {
          this.workerGone(slot.id, `after ${Math.round(limits.silenceMs)} ms without a heartbeat (stopped or unreachable)`);
          hooks.killWorker(slot.id);
          this.#replies.flush();
        },
        watchdogExpired: (slot, limitMs) => this.#watchdogExpired(slot, limitMs),
      },
    });
  }

  close(): void {
    this.#slots.close();
  }

  /** From now on, tell `activity` of every job's end. */
  watch(activity: Activity): void {
    this.#activity = activity;
  }

  /** The registered workers, in the order they registered. */
  get workers(): readonly WorkerSlot[] {
    return this.#slots.all;
  }

  /** Jobs not sent to a worker yet: queued, or waiting out a retry's backoff. */
  get waiting(): number {
    return this.#queue.length + this.#retrying.size;
  }

  /** The dashboard's cancel: as a client's own, for jobs whoever submitted them. */
  cancelAnywhere(ids: string[]): void {
    this.#cancel(undefined, ids);
    this.#replies.flush();
  }

  /** Workers that registered and are alive, and those holding jobs, for one pool. */
  counts(poolId: number): { ready: number; busy: number } {
    return this.#slots.counts(poolId);
  }

  /** Stop giving `id` jobs; returns true when it holds none and may leave now. */
  retire(id: string): boolean {
    const slot = this.#slots.get(id);
    if (slot?.lease) this.#revoke(slot);
    return this.#slots.retire(id);
  }

  /**
   * A worker is gone: the job it was running goes back to the queue (or fails, once lost too
   * often); the jobs it held but had not started go back as they were.
   */
  workerGone(id: string, how: string, countAsLoss = true): void {
    const slot = this.#slots.remove(id);
    if (!slot) return;
    this.#endedWait(slot);
    if (slot.lease) {
      // Its client sees the socket close too, and sends again what has no result yet (RESEND).
      this.#front.send([slot.lease.client, Front.REVOKE, String(slot.lease.epoch)]);
      this.#leases.end(slot);
    }
    const [running, ...waiting] = slot.jobs.takeAll().filter((held) => !held.cancelled); // those were answered
    const requeue = waiting.map(({ queued }) => queued);
    if (running) {
      const { queued } = running;
      if (countAsLoss) {
        queued.lost++;
        this.#activity?.ended(slot, queued.request.fn, false, slot.runningSince, Date.now(), undefined);
      }
      if (queued.lost > this.#limits.maxLost) {
        const times = queued.lost > 1 ? ` (${queued.lost} workers lost running it; quarantined)` : "";
        const message = `Job ${queued.request.id} (${queued.request.fn}) failed: its worker (pid ${slot.pid}) was lost ${how}${times}`;
        this.#replies.add(queued.client, {
          id: queued.request.id,
          ok: false,
          error: stacklessErrorInfo(new WorkerLost(message)),
          delegatedAt: running.delegatedAt,
          workerPid: slot.pid,
        });
      } else {
        if (countAsLoss) log.warning(`worker pid ${slot.pid} was lost ${how}; re-dispatching job ${queued.request.id}`);
        requeue.unshift(queued);
      }
    }
    this.#queue.unshift(requeue);
    this.#hooks.changed();
    this.#dispatch();
    this.#replies.flush();
  }

  #onClient(frames: Buffer[]): void {
    const [identity, command] = frames;
    const name = command?.toString();
    if (
      !identity ||
      (name !== Front.SUBMIT && name !== Front.CANCEL && name !== Front.DIRECT && name !== Front.RESEND && name !== Front.LEASED)
    )
      throw new Error(`unknown frontend command ${name?.slice(0, 32)}`);
    const client = this.#intern(identity);
    if (name === Front.CANCEL) return this.#cancel(client, JSON.parse(frames[2]!.toString()) as unknown);
    if (name === Front.DIRECT) return this.#acceptResultsSocket(client, frames[2]?.toString() ?? "");
    if (name === Front.RESEND) return this.#resend(client, frames);
    if (name === Front.LEASED) return this.#announced(client, frames);
    const local = this.#localClient(client);
    if (local) this.#leases.submitted(client, local.pid);
    const idleLease = frames.length === 5 ? frames.pop()!.toString() : undefined; // [.., SUBMIT, JSON, args, epoch]
    this.#submit(client, frames, 2);
    if (idleLease !== undefined) this.#release(client, idleLease);
  }

  /**
   * A local client in process `pid` queued jobs (SUBMIT, or RESEND of leased ones): if that is a
   * worker running a job, the job queued jobs of its own and may wait for them, so none of them
   * (nor any other job) may be held behind it on that worker, where they would wait for it: a
   * deadlock until its watchdog fired.
   */
  #submittedFrom(pid: number): void {
    for (const slot of this.#slots.all) {
      if (slot.pid !== pid || slot.waitsOnItsJobs || (slot.held === 0 && !slot.lease)) continue;
      slot.waitsOnItsJobs = true;
      this.#waitingOnJobs++;
      // Its function's next jobs go to a worker alone, as untimed ones do: nothing held behind them.
      const running = slot.jobs.first;
      if (running) this.#times.submitted(running.queued.request.fn);
    }
  }

  /** The job `slot` ran ended: what it queued no longer holds up the worker. */
  #endedWait(slot: WorkerSlot): void {
    if (!slot.waitsOnItsJobs) return;
    slot.waitsOnItsJobs = false;
    this.#waitingOnJobs--;
  }

  /** [SUBMIT, JSON, args, epoch]: the client's lease is idle; if it is being revoked (jobs wait), its worker takes them now. */
  #release(client: Buffer, epoch: string): void {
    const slot = this.#leases.release(client, epoch);
    if (!slot) return;
    log.debug(`released the lease of worker pid ${slot.pid} (lease ${epoch}): jobs wait, and its client has none there`);
    this.#dispatch();
  }

  /** A client on this machine: its results socket and process (Front.DIRECT, its first message). */
  #localClient(client: Buffer): { path: string; pid: number } | undefined {
    return this.#resultsSockets.size > 0 ? this.#resultsSockets.get(client.toString("latin1")) : undefined;
  }

  /** Queues the batch of jobs in `frames` (from `start`: JSON, args) for `client`; those `wanted` says no to are left out. */
  #submit(client: Buffer, frames: Buffer[], start: number, wanted?: (request: JobRequest) => boolean): JobRequest[] {
    const local = this.#localClient(client);
    if (local) this.#submittedFrom(local.pid); // before the dispatch below
    const requests = jobRequests(frames, start).filter((request) => !wanted || wanted(request));
    for (const request of requests) this.#queue.push({ client, request, lost: 0, failures: 0 });
    this.#dispatch();
    return requests;
  }

  /** Leased jobs whose worker's socket closed before their results came: queued unless the broker had a word of them already. */
  #resend(client: Buffer, frames: Buffer[]): void {
    const queued = this.#submit(client, frames, 2, (request) => this.#leases.claim(client, request.id));
    this.#cancelEarly(client, queued);
  }

  /**
   * [LEASED, epoch, JSON, args]: a leased job whose result its client has not had within
   * ANNOUNCE_MS, or one it is about to cancel. While the lease holds, the broker holds the job on
   * the leased worker, which runs nothing else (watchdog, cancel and loss as for any job). Under a
   * lease being revoked or over, the worker tells: REVOKED lists the job, or PASSED hands it back.
   */
  #announced(client: Buffer, frames: Buffer[]): void {
    const slot = this.#leases.leasedTo(client);
    const lease = slot?.lease;
    if (!slot || !lease || lease.revoking || String(lease.epoch) !== frames[2]?.toString()) return;
    this.#holdLeased(slot, jobRequests(frames, 3), Date.now());
  }

  /** Holds leased jobs the broker had no word of on the worker that runs them, in the order it runs them. */
  #holdLeased(slot: WorkerSlot, requests: JobRequest[], delegatedAt: number): void {
    const client = slot.lease!.client;
    const idle = slot.jobs.length === 0;
    const held = requests.filter((request) => this.#leases.claim(client, request.id));
    for (const request of held) {
      const queued: QueuedJob = { client, request, lost: 0, failures: 0 };
      slot.hold(queued, delegatedAt);
      slot.aheadMs += expectedMs(this.#times, queued);
    }
    if (idle && held.length > 0) {
      slot.runningSince = delegatedAt;
      this.#slots.armWatchdog(slot);
    }
    this.#hooks.changed();
    this.#cancelEarly(client, held);
  }

  #acceptResultsSocket(client: Buffer, path: string): void {
    if (!this.#hooks.acceptsResultsSocket(client, path))
      throw new Error(`direct: ${JSON.stringify(path.slice(0, 200))} is not a results socket of this run`);
    if (this.#resultsSockets.size > 10_000) this.#resultsSockets.clear(); // bounded, as #clients; a forgotten client only gets no direct copies
    this.#resultsSockets.set(client.toString("latin1"), { path, pid: resultsSocketPid(path) });
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
   * Without `client`: whoever submitted them (the dashboard's cancel).
   */
  #cancel(client: Buffer | undefined, ids: unknown): void {
    if (!Array.isArray(ids)) throw new Error("cancel holds no list of job ids");
    const wanted = new Set(ids);
    const unknown = new Set(ids);
    const ours = (queued: QueuedJob) => wanted.has(queued.request.id) && (!client || queued.client.equals(client));
    const cancelled = (queued: QueuedJob, how: string, extra: Partial<JobResult> = {}) => {
      const { id, fn } = queued.request;
      unknown.delete(id);
      this.#replies.add(queued.client, {
        id,
        ok: false,
        error: stacklessErrorInfo(new Cancelled(`Job ${id} (${fn}) was cancelled ${how}`)),
        ...extra,
      });
    };
    for (const queued of this.#queue.removeAll(ours)) cancelled(queued, "before it started");
    for (const queued of this.#retrying) {
      if (!ours(queued)) continue;
      this.#retrying.delete(queued);
      cancelled(queued, "while waiting to be retried");
    }
    for (const slot of [...this.#slots.all]) {
      const running = slot.jobs.first;
      // Held, not started: answered now; it stays held (the worker may have started it meanwhile)
      // until the worker reports it, so the broker's view of what the worker runs stays true.
      const dropped: string[] = [];
      for (const held of slot.jobs.toArray()) {
        if (held === running || held.cancelled || !ours(held.queued)) continue;
        held.cancelled = true;
        cancelled(held.queued, "before it started", { delegatedAt: held.delegatedAt, workerPid: slot.pid });
        dropped.push(held.id);
      }
      if (dropped.length > 0) this.#back.send([slot.id, Back.CANCEL, JSON.stringify(dropped)]);
      if (running && !running.cancelled && ours(running.queued)) {
        unknown.delete(running.id);
        this.#stopRunning(
          slot,
          new Cancelled(
            `Job ${running.id} (${running.queued.request.fn}) was cancelled while running; its worker (pid ${slot.pid}) was killed and replaced`,
          ),
        );
      }
    }
    if (client && unknown.size > 0) {
      if (this.#earlyCancels.size > 1024) this.#earlyCancels.clear();
      for (const id of unknown) if (typeof id === "string") this.#earlyCancels.add(`${client.toString("latin1")}\n${id}`);
    }
    this.#hooks.changed();
  }

  #onWorker(frames: Buffer[]): void {
    const [id, command, payload] = frames;
    const workerId = id!.toString();
    const slot = this.#slots.get(workerId);
    if (slot) slot.liveness.heard();
    switch (command?.toString()) {
      case Back.HEARTBEAT:
        return;
      case Back.READY:
        return this.#register(workerId, JSON.parse(payload!.toString()) as WorkerHello);
      case Back.RESULTS:
        if (slot) this.#finish(slot, unpackBatch<JobResult>(frames, 2, "value"), frames.slice(2));
        return; // from a worker already declared lost: its jobs were settled elsewhere
      case Back.PASSED:
        return this.#passed(workerId, slot, frames);
      case Back.REVOKED:
        return this.#revoked(workerId, slot, frames);
      default:
        throw new Error(`unknown backend command ${command?.toString().slice(0, 32)} from ${workerId.slice(0, 32)}`);
    }
  }

  #register(id: string, hello: WorkerHello): void {
    if (!this.#hooks.isWorker(id)) throw new Error(`READY from unknown worker ${JSON.stringify(id.slice(0, 64))}`);
    if (hello.version !== PROTOCOL_VERSION)
      throw new Error(`worker ${id} speaks protocol ${hello.version}, this broker ${PROTOCOL_VERSION}`);
    if (this.#slots.has(id)) {
      // It lost us and reconnected: whatever it held went with the old connection.
      log.warning(`worker ${id} reconnected; re-dispatching any job it held`);
      this.workerGone(id, "when its connection dropped", false);
    }
    this.#slots.add({ id, pid: hello.pid, poolId: hello.poolId, watchdogMs: this.#hooks.watchdogMs(hello.poolId) });
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
    if (slot.waitsOnItsJobs) {
      // Its running job's result (or, leased, any result): the job that queued them has ended.
      const running = slot.jobs.first?.id;
      if (running === undefined || results.some((result) => result.id === running)) this.#endedWait(slot);
    }
    this.#hooks.ended?.(results.length);
    let memoryMb = 0;
    const now = Date.now();
    const replies: JobResult[] = [];
    const clients: Buffer[] = [];
    let whole = true;
    for (const result of results) {
      const held = slot.jobs.take((held) => held.id === result.id);
      if (!held) {
        whole = false;
        memoryMb = Math.max(memoryMb, result.memoryMb ?? 0);
        if (result.lease) this.#leasedResult(slot.id, slot, result);
        continue;
      }
      const { queued, delegatedAt } = held;
      slot.aheadMs = Math.max(0, slot.aheadMs - expectedMs(this.#times, queued));
      if (result.runMs !== undefined) this.#times.observe(queued.request.fn, result.runMs);
      memoryMb = Math.max(memoryMb, result.memoryMb ?? 0);
      if (result.ok) slot.done++;
      else slot.failed++;
      this.#activity?.ended(
        slot,
        queued.request.fn,
        result.ok,
        startedAtOf(result) ?? delegatedAt,
        processedAtOf(result) ?? now,
        result.runMs,
      );
      // A copy the worker delivered straight (runtime/transport/direct.ts) needs no second one.
      if (held.cancelled || result.copied || (!result.ok && this.#retry(queued))) {
        whole = false;
        continue;
      }
      if (result.delegatedAt !== delegatedAt) {
        // Its start is relative to delegatedAt (JobResult.startedMs): the same moment from the new one.
        if (result.delegatedAt !== undefined && result.startedMs !== undefined) result.startedMs += result.delegatedAt - delegatedAt;
        result.delegatedAt = delegatedAt;
        whole = false;
      }
      if (clients.length > 0 && clients[0] !== queued.client) whole = false;
      replies.push(result);
      clients.push(queued.client);
    }
    if (slot.jobs.length === 0) slot.aheadMs = 0; // drop rounding drift
    slot.runningSince = now;
    if (memoryMb > 0) slot.memoryMb = memoryMb;
    this.#slots.armWatchdog(slot);
    this.#planNext(slot);
    if (this.#limits.maxMemoryMb > 0 && memoryMb > this.#limits.maxMemoryMb && !slot.retiring) {
      log.info(`worker pid ${slot.pid} uses ${Math.round(memoryMb)} MiB (limit ${this.#limits.maxMemoryMb}); replacing it`);
      slot.retiring = true;
      this.#revoke(slot);
    }
    if (slot.retiring && slot.jobs.length === 0) this.#hooks.releaseWorker(slot.id);
    this.#hooks.changed();
    // The worker's next jobs first: each send wakes another process, and the worker waits idle
    // until its jobs come.
    this.#dispatch();
    if (whole && replies.length > 0) this.#front.send([clients[0]!, Front.RESULTS, ...batch]);
    else {
      for (let i = 0; i < replies.length; i++) {
        // Cleared, not deleted (JSON leaves undefined out): `delete` turns each result into a slow dictionary object.
        replies[i]!.memoryMb = replies[i]!.runMs = replies[i]!.lease = undefined;
        this.#replies.add(clients[i]!, replies[i]!);
      }
    }
  }

  /**
   * Carries out the scheduler's dispatches: each worker's batch stamped, held and sent. Leased
   * workers get none: while jobs wait, their leases are revoked; while none waits, an idle worker
   * may be leased.
   */
  #dispatch(): void {
    if (this.#queue.length === 0) return this.#grant();
    for (const { worker: slot, jobs, aheadMs, copies } of schedule(this.#queue, this.#open(), this.#times)) {
      const delegatedAt = Date.now();
      const batch = jobs.map((queued) => slot.hold(queued, delegatedAt));
      slot.aheadMs = aheadMs;
      if (copies) this.#askForCopies(batch, jobs);
      if (slot.jobs.length === batch.length) {
        // It was idle: the first job starts now.
        slot.runningSince = delegatedAt;
        this.#slots.armWatchdog(slot);
        this.#planNext(slot);
      }
      this.#sendJobs(slot, batch);
    }
    if (this.#queue.length > 0) for (const slot of this.#leases.leased) this.#revoke(slot);
    else this.#grant();
    this.#hooks.changed();
  }

  /**
   * The workers the scheduler may give queued jobs: all but the leased (a released lease's worker
   * is open) and those whose running job waits on jobs it queued.
   */
  #open(): readonly WorkerSlot[] {
    if (this.#leases.size === 0 && this.#waitingOnJobs === 0) return this.#slots.all;
    return this.#slots.all.filter((slot) => openToQueue(slot) && !slot.waitsOnItsJobs);
  }

  /** Lends an idle local worker to the last local client to submit, if it holds no lease (leases.ts). */
  #grant(): void {
    const slot = this.#leases.grant(this.#slots.all, (slot) => this.#hooks.leaseSocketOf(slot.id, slot.pid) !== undefined);
    if (!slot) return;
    const { epoch, client } = slot.lease!;
    const grant: LeaseGrant = { epoch, path: this.#hooks.leaseSocketOf(slot.id, slot.pid)!, client: client.toString("base64") };
    log.debug(`leased worker pid ${slot.pid} to a queue manager (lease ${epoch})`);
    this.#back.send([slot.id, Back.LEASE, String(epoch)]);
    this.#front.send([client, Front.LEASE, JSON.stringify(grant)]);
  }

  /** Asks for the worker back: it answers REVOKED once it will take no more leased jobs. */
  #revoke(slot: WorkerSlot): void {
    const lease = slot.lease;
    if (!lease || lease.revoking) return;
    lease.revoking = true;
    log.debug(`revoking the lease of worker pid ${slot.pid} (lease ${lease.epoch})`);
    this.#back.send([slot.id, Back.REVOKE, String(lease.epoch)]);
    this.#front.send([lease.client, Front.REVOKE, String(lease.epoch)]);
  }

  /**
   * [REVOKED, epoch, JSON, args]: the worker takes no more jobs under that lease; the leased jobs it
   * took and has not reported run there first (held, as if dispatched, with the worker's stamp).
   */
  #revoked(workerId: string, slot: WorkerSlot | undefined, frames: Buffer[]): void {
    this.#leaseLocal(workerId, "answered a revoke");
    const lease = slot?.lease;
    if (!slot || !lease || String(lease.epoch) !== frames[2]?.toString()) return;
    const jobs = jobRequests(frames, 3) as JobDispatch[];
    if (jobs.length > 0) this.#holdLeased(slot, jobs, Number(jobs[0]!.delegatedAt) || Date.now());
    this.#leases.end(slot);
    this.#dispatch();
  }

  /** Cancels those of a lease's `requests` whose cancel came first. */
  #cancelEarly(client: Buffer, requests: JobRequest[]): void {
    if (this.#earlyCancels.size === 0) return;
    const key = client.toString("latin1");
    const cancels = requests.filter(({ id }) => this.#earlyCancels.delete(`${key}\n${id}`)).map(({ id }) => id);
    if (cancels.length > 0) this.#cancel(client, cancels);
  }

  /**
   * [PASSED, client, JSON, args]: jobs sent under a lease the worker did not hold: queued for their
   * client, as its own submit. One its client announced first is taken off the worker's jobs.
   */
  #passed(workerId: string, slot: WorkerSlot | undefined, frames: Buffer[]): void {
    this.#leaseLocal(workerId, "passed jobs on");
    const client = this.#intern(Buffer.from(frames[2]?.toString() ?? "", "base64"));
    const announced = new Set<string>();
    const requests = jobRequests(frames, 3).filter((request) => {
      if (this.#leases.claim(client, request.id)) return true;
      if (!slot?.jobs.take((held) => held.id === request.id && held.queued.client === client)) return false;
      announced.add(request.id);
      return true;
    });
    if (slot && announced.size > 0) this.#slots.armWatchdog(slot);
    for (const request of requests) this.#queue.push({ client, request, lost: 0, failures: 0 });
    this.#dispatch();
    this.#cancelEarly(
      client,
      requests.filter(({ id }) => !announced.has(id)),
    );
  }

  /** Only a local worker has leases (a remote one's word of a leased job is an error). */
  #leaseLocal(workerId: string, what: string): void {
    if (this.#hooks.leaseSocketOf(workerId, 0) === undefined) throw new Error(`remote worker ${workerId.slice(0, 64)} ${what}`);
  }

  /**
   * The result of a leased job the broker never held: its client has it unless the worker's direct
   * copy was delivered (`copied`); remembered, so a LEASED, RESEND or PASSED coming after it is
   * ignored. Counted as the worker's, as any job.
   */
  #leasedResult(workerId: string, slot: WorkerSlot, result: JobResult): void {
    const { client: base64, fn } = result.lease!;
    // Checked, not thrown: the rest of the worker's batch is still to be settled.
    if (this.#hooks.leaseSocketOf(workerId, 0) === undefined || typeof base64 !== "string" || typeof fn !== "string") {
      log.warning(`dropped a leased result from worker ${workerId.slice(0, 64)}: only a local worker runs leased jobs`);
      return;
    }
    const client = this.#intern(Buffer.from(base64, "base64"));
    this.#leases.claim(client, result.id);
    if (result.runMs !== undefined) this.#times.observe(fn, result.runMs);
    if (result.ok) slot.done++;
    else slot.failed++;
    const now = Date.now();
    this.#activity?.ended(slot, fn, result.ok, startedAtOf(result) ?? now, processedAtOf(result) ?? now, result.runMs);
    if (result.copied) return;
    result.memoryMb = result.runMs = result.lease = undefined;
    this.#replies.add(client, result);
  }

  #sendJobs(slot: WorkerSlot, batch: JobDispatch[]): void {
    for (const message of packBatches(Back.JOBS, batch, "args", jobJson)) this.#back.send([Buffer.from(slot.id), ...message]);
  }

  /** Names its client's results socket in each job of a small dispatch (runtime/transport/direct.ts; a remote worker ignores it). */
  #askForCopies(batch: JobDispatch[], jobs: QueuedJob[]): void {
    if (this.#resultsSockets.size === 0) return;
    for (let i = 0; i < batch.length; i++) {
      const socket = this.#resultsSockets.get(jobs[i]!.client.toString("latin1"));
      if (socket) batch[i]!.replyTo = socket.path;
    }
  }

  /** Plans (or drops the plan) to send the successor of the long job the worker runs (scheduler.ts successorDelayMs). */
  #planNext(slot: WorkerSlot): void {
    const running = slot.jobs.first;
    const delayMs = running ? successorDelayMs(slot, running.queued, this.#times) : undefined;
    slot.planNext(delayMs, () => {
      if (slot.jobs.first !== running || !openToQueue(slot) || slot.waitsOnItsJobs) return;
      const next = takeSuccessor(slot, this.#queue, this.#open());
      if (!next) return;
      const dispatch = slot.hold(next, Date.now());
      slot.aheadMs += expectedMs(this.#times, next);
      this.#sendJobs(slot, [dispatch]);
      this.#hooks.changed();
    });
  }

  /** Queues a failed job again after a backoff if it asked for retries and has some left. */
  #retry(queued: QueuedJob): boolean {
    const delayMs = retryAfterMs(queued);
    if (delayMs === undefined) return false;
    queued.failures++;
    log.info(
      `job ${queued.request.id} (${queued.request.fn}) threw; retry ${queued.failures} of ${queued.request.retries} in ${delayMs} ms`,
    );
    this.#retrying.add(queued);
    setTimeout(() => {
      if (!this.#retrying.delete(queued)) return; // cancelled meanwhile
      this.#queue.push(queued);
      this.#dispatch();
    }, delayMs);
    return true;
  }

  #watchdogExpired(slot: WorkerSlot, limitMs: number): void {
    const { id, fn, timeoutMs } = slot.jobs.first!.queued.request;
    // Say how to allow longer: the limit that fired is the job's own timeout, else its pool's.
    const raise =
      timeoutMs !== undefined
        ? "raise the job's timeout option (seconds; 0 disables)"
        : "raise it with --watchdog SECONDS, STRMBRKR_WORKER_WATCHDOG_TERMINATE_AFTER or WorkerManager's watchdogTerminateAfter (0 disables), or give the job a timeout option (seconds)";
    const message = `Job ${id} (${fn}) ran longer than its ${limitMs / 1000} s watchdog limit; its worker (pid ${slot.pid}) was killed and replaced; to allow longer, ${raise}`;
    log.warning(message);
    this.#stopRunning(slot, new WatchdogTimeout(message));
  }

  /** Fails the job the worker runs with `error`, and kills the worker: the only way to stop running code. */
  #stopRunning(slot: WorkerSlot, error: Error): void {
    const running = slot.jobs.shift()!;
    slot.failed++;
    this.#activity?.ended(slot, running.queued.request.fn, false, slot.runningSince, Date.now(), undefined);
    if (!running.cancelled)
      this.#replies.add(running.queued.client, {
        id: running.id,
        ok: false,
        error: stacklessErrorInfo(error),
        delegatedAt: running.delegatedAt,
        workerPid: slot.pid,
      });
    this.workerGone(slot.id, `after ${error.name}`, false); // the jobs it held but had not started go back
    this.#hooks.killWorker(slot.id);
    this.#replies.flush();
  }
}

/** The jobs of a batch (from `start`: JSON, args), checked. */
function jobRequests(frames: Buffer[], start: number): JobRequest[] {
  const requests = unpackBatch<JobRequest>(frames, start, "args");
  for (const request of requests) {
    if (typeof request.id !== "string" || typeof request.fn !== "string" || !request.args) throw new Error("submit holds a malformed job");
    if (request.priority !== undefined && !Number.isFinite(request.priority)) throw new Error(`job ${request.id} has a malformed priority`);
  }
  return requests;
}

import { Heartbeat, Liveness } from "../util/liveness.js";
import type { JobDispatch } from "../wire/jobs.js";
import { Fifo } from "../util/fifo.js";
import type { WorkerLease } from "./leases.js";
import type { QueuedJob, WorkerCredit } from "./scheduler.js";

/** A job a worker holds: sent to it, not yet reported. */
export interface HeldJob {
  id: string;
  queued: QueuedJob;
  delegatedAt: number;
  /** Cancelled and answered already; held until its worker reports it skipped (or ran) it. */
  cancelled?: boolean;
}

/** A registered worker, as the broker sees it. */
export class WorkerSlot implements WorkerCredit {
  readonly id: string;
  readonly pid: number;
  readonly poolId: number;
  /** Its pool's watchdog limit (0: none), for jobs without a timeout of their own. */
  readonly watchdogMs: number;
  /** Jobs sent to the worker, in the order it runs them: the first is running. */
  readonly jobs = new Fifo<HeldJob>();
  aheadMs = 0;
  retiring = false;
  /** Jobs it ran to the end, ok or not (a retried failure counts each time). */
  done = 0;
  failed = 0;
  /** Resident memory, as it last reported. */
  memoryMb = 0;
  /** Its jobs in the dashboard's task stream since the hub's last report (runtime/hub/activity.ts). */
  slicesSampled = 0;
  /** When the job it runs now started, about: the previous one's result came, or it was sent to an idle worker. */
  runningSince = 0;
  /** Any message from the worker counts as a heartbeat. */
  readonly liveness: Liveness;
  /** Leased to a QueueManager (leases.ts): the scheduler gives it no queued job, unless its client released it. */
  lease?: WorkerLease;
  /**
   * The job it runs queued jobs of its own (a QueueManager in this worker's process): nothing more
   * is held behind that job until it ends, since it may be waiting for them (broker.ts #open).
   */
  waitsOnItsJobs = false;
  /** Watchdog of the running job. */
  #watchdog?: NodeJS.Timeout;
  /** Sends the running long job's successor just before the job is expected to end (scheduler.ts successorDelayMs). */
  #next?: NodeJS.Timeout;

  constructor(worker: { id: string; pid: number; poolId: number; watchdogMs: number }, silenceMs: number) {
    this.id = worker.id;
    this.pid = worker.pid;
    this.poolId = worker.poolId;
    this.watchdogMs = worker.watchdogMs;
    this.liveness = new Liveness(silenceMs);
  }

  get held(): number {
    return this.jobs.length;
  }

  /** The worker holds `queued` from now: its dispatch, stamped. */
  hold(queued: QueuedJob, delegatedAt: number): JobDispatch {
    this.jobs.push({ id: queued.request.id, queued, delegatedAt });
    // Stamped in place, not copied: V8 promoted a copy per job to its old generation.
    const dispatch = queued.request as JobDispatch;
    dispatch.delegatedAt = delegatedAt;
    return dispatch;
  }

  /** (Re)starts the watchdog of the running job: its own timeout, else its pool's limit. */
  armWatchdog(expired: (limitMs: number) => void): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    const running = this.jobs.first;
    if (!running) return;
    const limitMs = running.queued.request.timeoutMs ?? this.watchdogMs;
    if (limitMs > 0) this.#watchdog = setTimeout(() => expired(limitMs), limitMs);
  }

  /** Calls `send` in `delayMs`, replacing the plan before; undefined: no plan. */
  planNext(delayMs: number | undefined, send: () => void): void {
    clearTimeout(this.#next);
    if (delayMs !== undefined) this.#next = setTimeout(send, delayMs);
  }

  clearTimers(): void {
    clearTimeout(this.#watchdog);
    clearTimeout(this.#next);
  }
}

/** What the registry asks of the broker. */
export interface SlotEvents {
  /** Every heartbeat, to each worker, silent or not: so each can tell a lost broker. */
  beat(slot: WorkerSlot): void;
  /** Whether the worker's process runs: a job may block its event loop (and heartbeats) for minutes. */
  isRunning(id: string): boolean;
  /** The worker was silent too long and its process does not run (stopped or unreachable). */
  silent(slot: WorkerSlot): void;
  /** The job the worker runs outlived its watchdog limit. */
  watchdogExpired(slot: WorkerSlot, limitMs: number): void;
}

export interface WorkerSlotsOptions {
  /** How often the broker beats to each worker and checks on them. */
  heartbeatMs: number;
  /** A worker silent this long is checked on. */
  silenceMs: number;
  events: SlotEvents;
}

/** The registered workers, in the order they registered, with their watchdogs and their liveness. */
export class WorkerSlots {
  #byId = new Map<string, WorkerSlot>();
  /** The same slots, in order: what the scheduler is given. */
  #all: WorkerSlot[] = [];
  #silenceMs: number;
  #events: SlotEvents;
  #heartbeat: Heartbeat;

  constructor({ heartbeatMs, silenceMs, events }: WorkerSlotsOptions) {
    this.#silenceMs = silenceMs;
    this.#events = events;
    this.#heartbeat = new Heartbeat(heartbeatMs, (now) => this.#check(now));
  }

  get all(): readonly WorkerSlot[] {
    return this.#all;
  }

  get(id: string): WorkerSlot | undefined {
    return this.#byId.get(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  add(worker: { id: string; pid: number; poolId: number; watchdogMs: number }): WorkerSlot {
    const slot = new WorkerSlot(worker, this.#silenceMs);
    this.#byId.set(slot.id, slot);
    this.#all.push(slot);
    return slot;
  }

  /** Forgets the worker and stops its timers; returns its slot, with the jobs it held. */
  remove(id: string): WorkerSlot | undefined {
    const slot = this.#byId.get(id);
    if (!slot) return undefined;
    this.#byId.delete(id);
    this.#all.splice(this.#all.indexOf(slot), 1);
    slot.clearTimers();
    return slot;
  }

  /** Workers that registered and are alive, and those holding jobs, for one pool. */
  counts(poolId: number): { ready: number; busy: number } {
    let ready = 0;
    let busy = 0;
    for (const slot of this.#all) {
      if (slot.poolId !== poolId) continue;
      ready++;
      if (slot.jobs.length > 0) busy++;
    }
    return { ready, busy };
  }

  /** Stop giving `id` jobs; returns true when it holds none and may leave now. */
  retire(id: string): boolean {
    const slot = this.#byId.get(id);
    if (!slot) return true;
    slot.retiring = true;
    return slot.jobs.length === 0;
  }

  /** (Re)starts the watchdog of the job the worker runs now, the first it holds. */
  armWatchdog(slot: WorkerSlot): void {
    slot.armWatchdog((limitMs) => {
      if (slot.jobs.first && this.#byId.get(slot.id) === slot) this.#events.watchdogExpired(slot, limitMs);
    });
  }

  close(): void {
    this.#heartbeat.stop();
  }

  #check(now: number): void {
    for (const slot of [...this.#all]) {
      this.#events.beat(slot);
      if (!slot.liveness.isSilent(now)) continue;
      if (this.#events.isRunning(slot.id)) {
        slot.liveness.heard(now); // busy in a long synchronous job: check again later
        continue;
      }
      this.#events.silent(slot);
    }
  }
}

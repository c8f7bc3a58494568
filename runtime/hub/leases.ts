import type { WorkerSlot } from "./worker-slots.js";

/** A worker's lease, as the broker holds it (docs/architecture.md, "A lone job's lease"). */
export interface WorkerLease {
  epoch: number;
  /** The QueueManager that may send the worker jobs straight. */
  client: Buffer;
  /** REVOKE was sent; the worker is not the broker's to dispatch to until it answers REVOKED, unless released. */
  revoking: boolean;
  /** Being revoked, and its client had nothing unsettled under it: the broker may dispatch to it now (Leases.release). */
  released: boolean;
}

/** Whether the broker may give the worker queued jobs: it is not leased, or its lease was released. */
export const openToQueue = (slot: WorkerSlot): boolean => !slot.lease || slot.lease.released;

/** Leased jobs remembered (client and id), so none is queued or answered twice: a bounded history. */
const HISTORY = 4096;

/**
 * Who gets a lease and who holds one: the last QueueManager on this machine to submit may lease
 * one idle local worker, while nothing waits in the queue. And which leased jobs the broker has had
 * a word of: from the worker (a result, REVOKED, PASSED) or from the client (LEASED, RESEND). They
 * travel on different sockets and can cross; the first word decides what the broker does.
 * No sockets and no clock: the broker sends what this decides (broker.ts).
 */
export class Leases {
  #epoch = 0;
  /** Leased jobs the broker has had a word of: oldest first. */
  #known = new Set<string>();
  /** Leased workers by client (latin1 routing id): a client holds at most one. */
  #byClient = new Map<string, WorkerSlot>();
  #candidate?: { client: Buffer; pid: number };

  /** Workers leased (revoking ones included). */
  get size(): number {
    return this.#byClient.size;
  }

  get leased(): IterableIterator<WorkerSlot> {
    return this.#byClient.values();
  }

  /** A client on this machine (`pid`: its process) submitted: the next lease is offered to it. */
  submitted(client: Buffer, pid: number): void {
    if (this.#candidate?.client !== client) this.#candidate = { client, pid };
  }

  /**
   * Leases an idle worker to the last local client to submit, unless it holds one already;
   * never a worker in the client's own process (a job's nested jobs would wait behind it).
   * Returns the leased worker's slot, its `lease` set.
   */
  grant(slots: readonly WorkerSlot[], leasable: (slot: WorkerSlot) => boolean): WorkerSlot | undefined {
    const candidate = this.#candidate;
    if (!candidate) return undefined;
    const key = candidate.client.toString("latin1");
    if (this.#byClient.has(key)) return undefined;
    for (const slot of slots) {
      if (slot.held > 0 || slot.retiring || slot.lease || slot.pid === candidate.pid || !leasable(slot)) continue;
      slot.lease = { epoch: ++this.#epoch, client: candidate.client, revoking: false, released: false };
      this.#byClient.set(key, slot);
      return slot;
    }
    return undefined;
  }

  /** The worker leased to `client`, if any. */
  leasedTo(client: Buffer): WorkerSlot | undefined {
    return this.#byClient.get(client.toString("latin1"));
  }

  /** The first word of leased job `id` of `client`: true the first time, false after (the job is the broker's already, or done). */
  claim(client: Buffer, id: string): boolean {
    const key = `${client.toString("latin1")}\n${id}`;
    if (this.#known.has(key)) return false;
    this.#known.add(key);
    if (this.#known.size > HISTORY) this.#known.delete(this.#known.values().next().value!);
    return true;
  }

  /**
   * The client submitted with lease `epoch` idle (nothing it sent under it unsettled, and nothing it
   * can send under it while the jobs it submitted are out): if that lease is being revoked, its
   * worker may take queued jobs at once, behind the REVOKE on its socket, instead of after its
   * REVOKED answer. Returns the worker's slot when that is new.
   */
  release(client: Buffer, epoch: string): WorkerSlot | undefined {
    const slot = this.leasedTo(client);
    const lease = slot?.lease;
    if (!lease || !lease.revoking || lease.released || String(lease.epoch) !== epoch) return undefined;
    lease.released = true;
    return slot;
  }

  /** The worker's lease is over (it answered REVOKED, or is gone). */
  end(slot: WorkerSlot): void {
    const lease = slot.lease;
    if (!lease) return;
    const key = lease.client.toString("latin1");
    if (this.#byClient.get(key) === slot) this.#byClient.delete(key);
    slot.lease = undefined;
  }
}

import { Dealer } from "zeromq";
import { TransactionTimeout, fromErrorInfo, type ErrorInfo } from "../../stdlib/errors.js";
import { Outbox } from "../outbox.js";
import { KvsStatus, type KvsOp } from "../protocol.js";
import { decode, encode } from "../serialize.js";

interface Pending {
  /** Where the caller asked, so a rejected request points at the caller's line. */
  callSite: { stack?: string };
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  attemptsLeft: number;
  frames: Buffer[];
  op: KvsOp;
}

/**
 * A KVS connection that keeps many requests in flight: each carries an id and its answer is
 * matched by that id. A request unanswered within `timeoutMs` is sent again while attempts
 * remain, then rejects with TransactionTimeout.
 */
export class KvsClient {
  #socket = new Dealer({ linger: 0 });
  #outbox = new Outbox(this.#socket, (error) => this.#failAll(error));
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #timeoutMs: number;
  #attempts: number;

  constructor(endpoint: string, timeoutMs: number, attempts: number) {
    this.#timeoutMs = timeoutMs;
    this.#attempts = attempts;
    this.#socket.connect(endpoint);
    void this.#receive();
  }

  get closed(): boolean {
    return this.#socket.closed;
  }

  request(op: KvsOp, args: unknown[]): Promise<unknown> {
    const id = this.#nextId++ >>> 0;
    const requestId = Buffer.alloc(4);
    requestId.writeUInt32BE(id);
    let payload: Buffer;
    try {
      payload = encode(args);
    } catch (error) {
      return Promise.reject(new TypeError(`KeyValueStore.${op}: value cannot be stored: ${(error as Error).message}`));
    }
    const callSite: { stack?: string } = {};
    Error.captureStackTrace(callSite, this.request);
    return new Promise((resolve, reject) => {
      const pending: Pending = { callSite, resolve, reject, op, frames: [requestId, Buffer.from(op), payload], attemptsLeft: this.#attempts, timer: undefined! };
      this.#pending.set(id, pending);
      this.#attempt(id, pending);
    });
  }

  close(): void {
    this.#failAll(new Error("KeyValueStore client closed"));
    this.#socket.close();
  }

  #attempt(id: number, pending: Pending): void {
    pending.attemptsLeft--;
    pending.timer = setTimeout(() => {
      if (pending.attemptsLeft > 0) return this.#attempt(id, pending);
      this.#pending.delete(id);
      pending.reject(withCallSite(new TransactionTimeout(pending.op, this.#timeoutMs, this.#attempts), pending.callSite));
    }, this.#timeoutMs);
    this.#outbox.send(pending.frames);
  }

  async #receive(): Promise<void> {
    try {
      for await (const [requestId, status, payload] of this.#socket) {
        if (!requestId || requestId.length !== 4 || !payload) continue;
        const id = requestId.readUInt32BE();
        const pending = this.#pending.get(id);
        if (!pending) continue; // answered after it timed out
        this.#pending.delete(id);
        clearTimeout(pending.timer);
        const value = decode(payload);
        if (status?.toString() === KvsStatus.OK) pending.resolve(value);
        else pending.reject(withCallSite(fromErrorInfo(value as ErrorInfo), pending.callSite));
      }
    } catch (error) {
      if (!this.#socket.closed) this.#failAll(error as Error);
    }
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }
}

function withCallSite(error: Error, callSite: { stack?: string }): Error {
  const frames = callSite.stack?.split("\n").slice(1).join("\n");
  if (frames) error.stack = `${error.name}: ${error.message}\n${frames}`;
  return error;
}

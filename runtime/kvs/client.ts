import { Dealer } from "zeromq";
import { TransactionTimeout, fromErrorInfo, type ErrorInfo } from "../../stdlib/errors.js";
import { Outbox } from "../outbox.js";
import { clientSecurity } from "../remote/client-security.js";
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
  #socket = new Dealer({ linger: 0, ...clientSecurity() }); // CURVE keys in a remote worker
  #outbox = new Outbox(this.#socket, (error) => this.#failAll(error));
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #timeoutMs: number;
  #attempts: number;
  #maxValueBytes: number;

  /** `maxValueBytes`: larger request arguments are refused here, before they cost the connection. */
  constructor(endpoint: string, timeoutMs: number, attempts: number, maxValueBytes = Infinity) {
    this.#timeoutMs = timeoutMs;
    this.#attempts = attempts;
    this.#maxValueBytes = maxValueBytes;
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
    if (payload.length > this.#maxValueBytes) {
      return Promise.reject(new RangeError(`KeyValueStore.${op}: ${payload.length} bytes of arguments, over STRMBRKR_KVS_MAX_VALUE_BYTES (${this.#maxValueBytes})`));
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
        let value: unknown;
        try {
          value = decode(payload);
        } catch (error) {
          pending.reject(new TypeError(`KeyValueStore.${pending.op}: the answer cannot be decoded: ${(error as Error).message}`));
          continue;
        }
        if (status?.toString() === KvsStatus.OK) pending.resolve(value);
        else pending.reject(withCallSite(fromErrorInfo(value as ErrorInfo), pending.callSite, (value as ErrorInfo | undefined)?.stack));
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

/** The caller's frames, after the server's (a transaction's own frames, in the user's script). */
function withCallSite(error: Error, callSite: { stack?: string }, remoteStack?: string): Error {
  const remote = remoteStack?.split("\n").filter((line) => /^\s+at /.test(line)) ?? [];
  const frames = [...remote, ...(callSite.stack?.split("\n").slice(1) ?? [])].join("\n");
  if (frames) error.stack = `${error.name}: ${error.message}\n${frames}`;
  return error;
}

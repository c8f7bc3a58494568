import { TransactionTimeout, fromErrorInfo, type ErrorInfo } from "../util/errors.js";
import type { CurveClientKeys } from "../util/curve.js";
import { SpinWait } from "../util/spin-wait.js";
import { connect, receiveEach, type DealerLike } from "../transport/connect.js";
import { KVS_TRANSACTION_MAX_RUNS, KvsStatus, type KvsOp } from "../wire/kvs.js";
import { ALONE_BYTES, BATCH_MARKER, MAX_BATCH_BYTES, packRequests, requestBytes, unpackAnswers } from "../wire/kvs-batch.js";
import { decodePayload, encodeArgs } from "../wire/kvs-codec.js";

interface Pending {
  id: number;
  op: KvsOp;
  payload: Buffer;
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** performance.now() after which the current attempt has timed out. */
  deadline: number;
  /** How long each attempt waits: longer for a transaction, which the store may run several times. */
  timeoutMs: number;
  attemptsLeft: number;
}

const OK = Buffer.from(KvsStatus.OK);
/** Op name frames, made once each. */
const opFrames = new Map<string, Buffer>();

/**
 * Errors that answer one request (the server's, a timeout), with the server-side frames to show
 * first (a transaction's own lines); `withCallSite` adds the caller's frames to their stack.
 */
const perRequest = new WeakMap<Error, string[]>();

/** How a KvsClient waits and what it refuses. */
export interface KvsClientOptions {
  /** Milliseconds an attempt waits for its answer (STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT). */
  timeoutMs: number;
  /** Attempts before TransactionTimeout (STRMBRKR_KVS_CLIENT_SOCKET_ATTEMPTS). */
  attempts: number;
  /**
   * Milliseconds an attempt of `transact` waits: the store may run it KVS_TRANSACTION_MAX_RUNS
   * times before it answers TransactionAborted (transactTimeoutMs). Default `timeoutMs`.
   */
  transactTimeoutMs?: number;
  /** Larger request arguments are refused here, before they cost the connection. */
  maxValueBytes?: number;
  /** µs to poll for an answer before sleeping (runtime/util/spin-wait.ts); default 0: never. */
  spinWaitUs?: number;
  /** CURVE client keys, for a tcp:// endpoint (a run's loopback one, or one of `--listen`). */
  curve?: CurveClientKeys;
}

/**
 * Milliseconds a `transact` attempt waits for its answer: the usual wait, plus what the store may
 * spend on it (it reruns a transaction it stopped while starved of CPU), so that a runaway
 * transaction gets its TransactionAborted rather than a TransactionTimeout.
 */
export function transactTimeoutMs(clientTimeoutMs: number, transactionTimeoutMs: number): number {
  return clientTimeoutMs + KVS_TRANSACTION_MAX_RUNS * transactionTimeoutMs;
}

/**
 * A KVS connection that keeps many requests in flight: each carries an id and its answer is
 * matched by that id. A request unanswered within `timeoutMs` is sent again while attempts
 * remain, then rejects with TransactionTimeout.
 *
 * Requests made in the same tick (and while a send is under way) leave together: one alone in
 * its own message ([id, op, payload]), several in one batch message (runtime/wire/kvs-batch.ts),
 * which the server answers with one batch. A lone request is never held back for company.
 */
export class KvsClient {
  #link: DealerLike;
  /** Requests waiting for an answer, by id, in deadline order: those of each wait apart, so each map stays in order. */
  #pending = new Map<number, Pending>();
  #pendingTransacts = new Map<number, Pending>();
  /** Requests (and resends) not yet handed to the socket, in order. */
  #unsent: Pending[] = [];
  #flushQueued = false;
  #sending = false;
  /** One timer for every request: it fires at the oldest attempt's deadline (pending is in deadline order). */
  #timer?: NodeJS.Timeout;
  #nextId = 1;
  #timeoutMs: number;
  /** After a request, the loop polls a while for its answer instead of sleeping (runtime/util/spin-wait.ts). */
  #spin: SpinWait;
  #transactTimeoutMs: number;
  #attempts: number;
  #maxValueBytes: number;

  /**
   * `endpoint`: the store's local socket (`unix://`, runtime/transport/kvs-discovery.ts) for a
   * process of its run on its machine, else its zeromq endpoint.
   */
  constructor(
    endpoint: string,
    { timeoutMs, attempts, transactTimeoutMs = timeoutMs, maxValueBytes = Infinity, spinWaitUs = 0, curve }: KvsClientOptions,
  ) {
    this.#spin = new SpinWait(spinWaitUs);
    this.#timeoutMs = timeoutMs;
    this.#transactTimeoutMs = transactTimeoutMs;
    this.#attempts = attempts;
    this.#maxValueBytes = maxValueBytes;
    // A refused handshake is final: say so at once, instead of letting every request time out.
    const onRefused = () =>
      this.#failAll(
        new KvsRefused(
          curve
            ? `${endpoint} refused this client's CURVE key (it is not among the keys the store admits)`
            : `no credentials for ${endpoint}: it requires CURVE keys (a run's TCP endpoints admit its own processes and keys only)`,
        ),
      );
    // What is sent while the connection is down may be lost past 1000 messages: a request is resent on timeout.
    this.#link = connect(endpoint, { curve, sendLimit: { bytes: 0 }, maxHeld: 1000, sharedReadBuffer: true, onRefused });
    receiveEach(this.#link, (frames) => this.#onMessage(frames)).catch((error: Error) => this.#link.closed || this.#failAll(error));
  }

  get closed(): boolean {
    return this.#link.closed;
  }

  request(op: KvsOp, args: unknown[]): Promise<unknown> {
    let payload: Buffer;
    try {
      payload = encodeArgs(args);
    } catch (error) {
      return Promise.reject(new TypeError(`KeyValueStore.${op}: value cannot be stored: ${(error as Error).message}`));
    }
    if (payload.length > this.#maxValueBytes) {
      return Promise.reject(
        new RangeError(
          `KeyValueStore.${op}: ${payload.length} bytes of arguments, over STRMBRKR_KVS_MAX_VALUE_BYTES (${this.#maxValueBytes})`,
        ),
      );
    }
    const id = this.#nextId++ >>> 0;
    const answer = new Promise((resolve, reject) => {
      const timeoutMs = op === "transact" ? this.#transactTimeoutMs : this.#timeoutMs;
      const pending: Pending = { id, op, payload, resolve, reject, deadline: 0, timeoutMs, attemptsLeft: this.#attempts };
      this.#queueOf(pending).set(id, pending);
      this.#attempt(pending);
    });
    return withCallSite(answer);
  }

  close(): void {
    this.#failAll(new Error("KeyValueStore client closed"));
    this.#link.close();
  }

  #attempt(pending: Pending): void {
    pending.attemptsLeft--;
    pending.deadline = performance.now() + pending.timeoutMs;
    if (this.#timer === undefined) this.#timer = setTimeout(this.#onTimer, pending.timeoutMs);
    else this.#timer.ref();
    this.#unsent.push(pending);
    if (!this.#flushQueued && !this.#sending) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  #queueOf(pending: Pending): Map<number, Pending> {
    return pending.timeoutMs === this.#timeoutMs ? this.#pending : this.#pendingTransacts;
  }

  /** Times out every attempt past its deadline (the oldest first), then waits for the next one's. */
  #onTimer = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (const queue of [this.#pending, this.#pendingTransacts]) {
      for (const [id, pending] of queue) {
        if (pending.deadline > now) break;
        // Moved to the end: the map stays in deadline order.
        queue.delete(id);
        if (pending.attemptsLeft > 0) {
          queue.set(id, pending);
          this.#attempt(pending);
        } else {
          const error = new TransactionTimeout(pending.op, pending.timeoutMs, this.#attempts);
          perRequest.set(error, []);
          pending.reject(error);
        }
      }
    }
    // Resends above may have set a timer for their own deadline; the oldest's comes first.
    clearTimeout(this.#timer);
    const oldest = Math.min(...[this.#pending, this.#pendingTransacts].map((queue) => queue.values().next().value?.deadline ?? Infinity));
    this.#timer = oldest === Infinity ? undefined : setTimeout(this.#onTimer, Math.max(1, oldest - now));
  };

  #flush = (): void => {
    this.#flushQueued = false;
    const unsent = this.#unsent;
    if (unsent.length === 1 && unsent[0]!.payload.length < ALONE_BYTES && !this.#sending && !this.#link.closed) {
      // A lone request (a sequential caller's) goes to the socket now: #drain's async rounds
      // would come before the write, and a round trip waits for each.
      this.#unsent = [];
      this.#sending = true;
      this.#send(unsent, 0).then(this.#sent, this.#sent);
      return;
    }
    void this.#drain();
  };

  #sent = (): void => {
    this.#sending = false;
    if (this.#unsent.length > 0) void this.#drain();
  };

  /** Sends what is unsent, in order; what arrives meanwhile leaves in the next round. */
  async #drain(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      while (this.#unsent.length > 0 && !this.#link.closed) {
        const requests = this.#unsent;
        this.#unsent = [];
        let group: Pending[] = [];
        let groupBytes = 0;
        for (const request of requests) {
          const bytes = requestBytes(request.op, request.payload);
          if (group.length > 0 && (request.payload.length >= ALONE_BYTES || groupBytes + bytes > MAX_BATCH_BYTES)) {
            await this.#send(group, groupBytes);
            group = [];
            groupBytes = 0;
          }
          group.push(request);
          groupBytes += bytes;
          if (request.payload.length >= ALONE_BYTES) {
            await this.#send(group, groupBytes);
            group = [];
            groupBytes = 0;
          }
        }
        if (group.length > 0) await this.#send(group, groupBytes);
      }
    } finally {
      this.#sending = false;
    }
  }

  async #send(group: Pending[], bytes: number): Promise<void> {
    let frames: Buffer[];
    if (group.length === 1) {
      const { id, op, payload } = group[0]!;
      const requestId = Buffer.allocUnsafe(4);
      requestId.writeUInt32BE(id);
      let opFrame = opFrames.get(op);
      if (!opFrame) opFrames.set(op, (opFrame = Buffer.from(op)));
      frames = [requestId, opFrame, payload];
    } else frames = [BATCH_MARKER, packRequests(group, bytes)];
    try {
      const sending = this.#link.send(frames);
      this.#spin.sent();
      await sending;
    } catch (error) {
      if (!this.#link.closed) this.#failAll(error as Error);
    }
  }

  #onMessage(frames: Buffer[]): void {
    this.#spin.answered();
    if (frames.length === 2 && frames[0]!.length === 0) {
      const answers = unpackAnswers(frames[1]!);
      if (typeof answers === "string") return; // not from our server: nothing to match it to
      for (const { id, ok, start, end } of answers) this.#answer(id, ok, frames[1]!, start, end);
    } else {
      const [requestId, status, payload] = frames;
      if (!requestId || requestId.length !== 4 || !payload) return;
      this.#answer(requestId.readUInt32BE(), status !== undefined && status.equals(OK), payload, 0, payload.length);
    }
  }

  #answer(id: number, ok: boolean, bytes: Buffer, start: number, end: number): void {
    const pending = this.#pending.get(id) ?? this.#pendingTransacts.get(id);
    if (!pending) return; // answered after it timed out
    this.#queueOf(pending).delete(id);
    if (this.#pending.size === 0 && this.#pendingTransacts.size === 0) this.#timer?.unref();
    let value: unknown;
    try {
      value = decodePayload(bytes, start, end);
    } catch (error) {
      pending.reject(new TypeError(`KeyValueStore.${pending.op}: the answer cannot be decoded: ${(error as Error).message}`));
      return;
    }
    if (ok) return pending.resolve(value);
    const error = fromErrorInfo(value as ErrorInfo);
    const remoteStack = (value as ErrorInfo | undefined)?.stack;
    perRequest.set(error, remoteStack?.split("\n").filter((line) => /^\s+at /.test(line)) ?? []);
    pending.reject(error);
  }

  #failAll(error: Error): void {
    for (const queue of [this.#pending, this.#pendingTransacts]) {
      for (const pending of queue.values()) pending.reject(error);
      queue.clear();
    }
    this.#unsent = [];
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** The store would not let this client in: its handshake failed for want of the right CURVE keys. */
export class KvsRefused extends Error {
  override name = "KvsRefused";
}

/**
 * The answer, with the caller's frames after the server's in the stack of an error that answers
 * this request. Taken only when it fails: awaiting here puts the caller's async frames (`at async
 * main (script.ts:…)`) in a stack captured now, where capturing one per request, in case it fails,
 * cost more than the rest of the request.
 */
async function withCallSite(answer: Promise<unknown>): Promise<unknown> {
  try {
    return await answer;
  } catch (error) {
    const remote = error instanceof Error ? perRequest.get(error) : undefined;
    if (remote) {
      const here: { stack?: string } = {};
      Error.captureStackTrace(here, withCallSite);
      const frames = [...remote, ...(here.stack?.split("\n").slice(1) ?? [])].join("\n");
      if (frames) (error as Error).stack = `${(error as Error).name}: ${(error as Error).message}\n${frames}`;
    }
    throw error;
  }
}

import { toErrorInfo } from "../util/errors.js";
import { getLogger } from "../config/logger.js";
import { isKvsOp, KVS_READ_ONLY_OPS, type KvsOp } from "../wire/kvs.js";
import { decodePayload, encodeValue, payloadForm } from "../wire/kvs-codec.js";
import { HANDLERS } from "./handlers.js";
import { checkJsonDepth, checkStructuredValue } from "./request-limits.js";
import { ReplyCache, type Answer, type ClientAnswers } from "./reply-cache.js";
import type { Store } from "./store.js";
import { EncodedReply, type Transactions } from "./transactions.js";

const log = getLogger("kvs");
const NONE = Symbol("no failure");

/**
 * Answers requests, one at a time, whatever frame they came in: decodes the arguments, runs the
 * operation on the store (or a transaction), encodes the value or the error. Keeps the answers
 * to requests that change the store, so a resent one is answered again, not applied twice.
 */
export class Dispatcher {
  #store: Store;
  #transactions?: Transactions;
  #maxValueBytes: number;
  #answered = new ReplyCache();
  /** The last client's kept answers: requests come in runs from one client (a batch). */
  #client?: string;
  #clientAnswers?: ClientAnswers;

  constructor(store: Store, transactions: Transactions | undefined, maxValueBytes: number) {
    this.#store = store;
    this.#transactions = transactions;
    this.#maxValueBytes = maxValueBytes;
  }

  /**
   * The answer to request `requestId` of `client` (its routing id, latin1): op `op`, arguments
   * encoded in `payload[start, end)`. `compact`: the client reads compact answers. A promise only
   * while the job script loads for a first `transact`: the caller waits, holding later requests,
   * so they still see the transaction's effect in order.
   */
  answer(
    client: string,
    requestId: number | string,
    op: string,
    payload: Buffer,
    start: number,
    end: number,
    compact: boolean,
  ): Answer | Promise<Answer> {
    let kept: ClientAnswers | undefined;
    if (!KVS_READ_ONLY_OPS.has(op)) {
      if (client !== this.#client) {
        this.#client = client;
        this.#clientAnswers = this.#answered.of(client);
      }
      kept = this.#clientAnswers!;
      const earlier = kept.get(requestId);
      if (earlier) return earlier; // a resend: it was applied once already
    }
    let args: unknown[] | undefined;
    let failure: unknown = NONE;
    try {
      if (!isKvsOp(op)) throw new TypeError(`unknown KeyValueStore operation ${JSON.stringify(op.slice(0, 64))}`);
      if (end - start > this.#maxValueBytes) {
        throw new RangeError(
          `KeyValueStore.${op}: ${end - start} bytes of arguments, over STRMBRKR_KVS_MAX_VALUE_BYTES (${this.#maxValueBytes})`,
        );
      }
      args = decodeArgs(payload, start, end);
      if (op === "transact") {
        const transactions = this.#transactions;
        if (!transactions) throw new TypeError("KeyValueStore.transact: this store runs no transactions");
        if (!transactions.loaded) {
          return transactions.load().then(
            () => this.#settle(client, kept, requestId, op, compact, args, NONE),
            (error: unknown) => this.#settle(client, kept, requestId, op, compact, args, error),
          );
        }
      }
    } catch (error) {
      failure = error;
    }
    return this.#settle(client, kept, requestId, op, compact, args, failure);
  }

  #settle(
    client: string,
    kept: ClientAnswers | undefined,
    requestId: number | string,
    op: string,
    compact: boolean,
    args: unknown[] | undefined,
    failure: unknown,
  ): Answer {
    let value: unknown;
    if (failure === NONE) {
      try {
        if (kept) this.#store.countChange(); // kept: the op is not read-only
        this.#store.operations++;
        value = HANDLERS[op as KvsOp](this.#store, args!, this.#transactions); // answer() checked the op
      } catch (error) {
        failure = error;
      }
    }
    let ok = failure === NONE;
    if (!ok) {
      // The caller's stack says more than ours; a transaction's own frames (the user's code) are kept.
      value = { ...toErrorInfo(failure), stack: op === "transact" ? (failure as Error | undefined)?.stack : undefined };
      log.debug(`${op} failed: ${(failure as Error)?.message}`);
    }
    let bytes: Buffer;
    try {
      bytes = value instanceof EncodedReply ? value.bytes : encodeValue(value, compact);
    } catch (error) {
      ok = false;
      bytes = encodeValue({ ...toErrorInfo(error), stack: undefined }, false);
    }
    const answer = { ok, bytes };
    if (kept) this.#answered.set(client, kept, requestId, answer);
    return answer;
  }
}

function decodeArgs(payload: Buffer, start: number, end: number): unknown[] {
  const form = payloadForm(payload, start);
  if (form === "json") checkJsonDepth(payload, start, end); // before parsing: deep JSON parses slowly
  let args: unknown;
  try {
    args = decodePayload(payload, start, end);
  } catch (error) {
    throw new TypeError(`KeyValueStore request arguments cannot be decoded: ${(error as Error).message}`);
  }
  if (!Array.isArray(args)) throw new TypeError("KeyValueStore request arguments must be an array");
  // Compact arguments are primitives, JSON ones trees of checked depth; structured clone may hold anything.
  if (form === "structured clone") checkStructuredValue(args, end - start);
  return args;
}

import type { Router } from "zeromq";
import { toErrorInfo } from "../../stdlib/errors.js";
import { getLogger } from "../logger.js";
import { Outbox } from "../outbox.js";
import { KVS_OPS, KVS_READ_ONLY_OPS, KvsStatus, type KvsOp } from "../protocol.js";
import { decode, encode } from "../serialize.js";
import { ReplyCache } from "./reply-cache.js";
import { Store } from "./store.js";
import { EncodedReply, type Transactions } from "./transactions.js";

const log = getLogger("kvs");
const OPS = new Set<string>(KVS_OPS);
const OK = Buffer.from(KvsStatus.OK);
const ERROR = Buffer.from(KvsStatus.ERROR);

export interface ServeOptions {
  store?: Store;
  transactions?: Transactions;
  /** Largest encoded request arguments accepted (STRMBRKR_KVS_MAX_VALUE_BYTES). */
  maxValueBytes?: number;
}

/**
 * Serves the store on a ROUTER socket: requests carry an id, so a client may have many in flight.
 * A bad request gets a typed error back; one without a reply address is logged and dropped.
 * Resolves when a client asks it to shut down.
 */
export async function serve(socket: Router, { store = new Store(), transactions, maxValueBytes = Infinity }: ServeOptions = {}): Promise<void> {
  const outbox = new Outbox(socket, (error) => log.error(`reply failed: ${error.message}`));
  const answered = new ReplyCache();
  for await (const frames of socket) {
    const [client, requestId, op, payload] = frames;
    if (!client || !requestId || frames.length !== 4) {
      log.warning(`dropped a malformed request (${frames.length} frames)`);
      continue;
    }
    const opName = op!.toString();
    const changes = !KVS_READ_ONLY_OPS.has(opName);
    const cacheKey = changes ? ReplyCache.key(client, requestId) : "";
    const earlier = changes ? answered.get(cacheKey) : undefined;
    if (earlier) {
      outbox.send(earlier); // a resend: it was applied once already
      continue;
    }
    let ok = true;
    let value: unknown;
    try {
      if (!OPS.has(opName)) throw new TypeError(`unknown KeyValueStore operation ${JSON.stringify(opName.slice(0, 64))}`);
      if (payload!.length > maxValueBytes) {
        throw new RangeError(`KeyValueStore.${opName}: ${payload!.length} bytes of arguments, over STRMBRKR_KVS_MAX_VALUE_BYTES (${maxValueBytes})`);
      }
      const args = decodeArgs(payload!);
      if (opName === "transact") {
        if (!transactions) throw new TypeError("KeyValueStore.transact: this store runs no transactions");
        // Loading waits here, holding later requests, so they still see the transaction's effect in order.
        if (!transactions.loaded) await transactions.load();
        value = transactions.run(args);
      } else value = opName === "shutdown" ? true : store.apply(opName as KvsOp, args);
    } catch (error) {
      ok = false;
      // The caller's stack says more than ours; a transaction's own frames (the user's code) are kept.
      value = { ...toErrorInfo(error), stack: opName === "transact" ? (error as Error | undefined)?.stack : undefined };
      log.debug(`${opName} failed: ${(error as Error)?.message}`);
    }
    let reply: Buffer;
    try {
      reply = value instanceof EncodedReply ? value.bytes : encode(value);
    } catch (error) {
      ok = false;
      reply = encode({ ...toErrorInfo(error), stack: undefined });
    }
    const answer = [client, requestId, ok ? OK : ERROR, reply];
    if (changes) answered.set(cacheKey, answer);
    outbox.send(answer);
    if (opName === "shutdown" && ok) {
      log.debug("shutting down on request");
      while (!outbox.idle) await new Promise((resolve) => setImmediate(resolve));
      return;
    }
  }
}

function decodeArgs(payload: Buffer): unknown[] {
  let args: unknown;
  try {
    args = decode<unknown>(payload);
  } catch (error) {
    throw new TypeError(`KeyValueStore request arguments cannot be decoded: ${(error as Error).message}`);
  }
  if (!Array.isArray(args)) throw new TypeError("KeyValueStore request arguments must be an array");
  return args;
}

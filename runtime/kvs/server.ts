import type { Router } from "zeromq";
import { toErrorInfo } from "../../stdlib/errors.js";
import { getLogger } from "../logger.js";
import { Outbox } from "../outbox.js";
import { KVS_OPS, KvsStatus, type KvsOp } from "../protocol.js";
import { decode, encode } from "../serialize.js";
import { ReplyCache } from "./reply-cache.js";
import { Store } from "./store.js";

const log = getLogger("kvs");
const OPS = new Set<string>(KVS_OPS);
const READ_ONLY = new Set<string>(["ping", "get", "cacheGrab"]);

/**
 * Serves the store on a ROUTER socket: requests carry an id, so a client may have many in flight.
 * A bad request gets a typed error back; one without a reply address is logged and dropped.
 * Resolves when a client asks it to shut down.
 */
export async function serve(socket: Router, store = new Store()): Promise<void> {
  const outbox = new Outbox(socket, (error) => log.error(`reply failed: ${error.message}`));
  const answered = new ReplyCache();
  for await (const frames of socket) {
    const [client, requestId, op, payload] = frames;
    if (!client || !requestId || frames.length !== 4) {
      log.warning(`dropped a malformed request (${frames.length} frames)`);
      continue;
    }
    const opName = op!.toString();
    const changes = !READ_ONLY.has(opName);
    const key = changes ? ReplyCache.key(client, requestId) : "";
    const earlier = changes ? answered.get(key) : undefined;
    if (earlier) {
      outbox.send(earlier); // a resend: it was applied once already
      continue;
    }
    let status: string = KvsStatus.OK;
    let value: unknown;
    try {
      if (!OPS.has(opName)) throw new TypeError(`unknown KeyValueStore operation ${JSON.stringify(opName.slice(0, 64))}`);
      const args = decode<unknown>(payload!);
      if (!Array.isArray(args)) throw new TypeError("KeyValueStore request arguments must be an array");
      value = opName === "shutdown" ? true : store.apply(opName as KvsOp, args);
    } catch (error) {
      status = KvsStatus.ERROR;
      value = { ...toErrorInfo(error), stack: undefined }; // the caller's stack says more than ours
      log.debug(`${opName} failed: ${(error as Error).message}`);
    }
    let reply: Buffer;
    try {
      reply = encode(value);
    } catch (error) {
      status = KvsStatus.ERROR;
      reply = encode(toErrorInfo(error));
    }
    const answer = [client, requestId, Buffer.from(status), reply];
    if (changes) answered.set(key, answer);
    outbox.send(answer);
    if (opName === "shutdown" && status === KvsStatus.OK) {
      log.debug("shutting down on request");
      while (!outbox.idle) await new Promise((resolve) => setImmediate(resolve));
      return;
    }
  }
}

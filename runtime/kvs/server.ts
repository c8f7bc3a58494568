import type { Router } from "zeromq";
import { getLogger } from "../logger.js";
import { Outbox } from "../outbox.js";
import { KvsStatus } from "../protocol.js";
import { ALONE_BYTES, AnswerPacker, BATCH_MARKER, MAX_BATCH_BYTES, unpackRequests } from "./batch.js";
import { isCompact } from "./codec.js";
import { Dispatcher } from "./dispatch.js";
import { Store } from "./store.js";
import type { Transactions } from "./transactions.js";

const log = getLogger("kvs");
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
 * A request comes alone ([id, op, payload]) or with others in a batch ([empty, packed]: see
 * runtime/kvs/batch.ts), answered in the same form, in order. A bad request gets a typed error
 * back; one without a reply address (or a malformed batch) is logged and dropped.
 * Resolves when a client asks it to shut down.
 */
export async function serve(socket: Router, { store = new Store(), transactions, maxValueBytes = Infinity }: ServeOptions = {}): Promise<void> {
  const outbox = new Outbox(socket, (error) => log.error(`reply failed: ${error.message}`));
  const dispatcher = new Dispatcher(store, transactions, maxValueBytes);
  const packer = new AnswerPacker();
  let stopping = false;
  for await (const frames of socket) {
    const client = frames[0];
    if (client && frames.length === 3 && frames[1]!.length === 0) {
      const packed = frames[2]!;
      const requests = unpackRequests(packed);
      if (typeof requests === "string") {
        log.warning(`dropped a malformed batch of requests (${requests})`);
        continue;
      }
      const clientKey = client.toString("latin1");
      const sendPacked = () => packer.count > 0 && outbox.send([client, BATCH_MARKER, packer.take()]);
      for (const { id, op, start, end } of requests) {
        let answer = dispatcher.answer(clientKey, id, op, packed, start, end, true);
        if (answer instanceof Promise) answer = await answer;
        if (answer.bytes.length >= ALONE_BYTES) {
          // Not copied into the batch: sent alone, after the answers before it.
          sendPacked();
          const requestId = Buffer.allocUnsafe(4);
          requestId.writeUInt32BE(id);
          outbox.send([client, requestId, answer.ok ? OK : ERROR, answer.bytes]);
        } else {
          packer.add(id, answer.ok, answer.bytes);
          if (packer.bytes >= MAX_BATCH_BYTES) sendPacked();
        }
        if (op === "shutdown" && answer.ok) {
          stopping = true;
          break;
        }
      }
      sendPacked();
    } else {
      const [client, requestId, op, payload] = frames;
      if (!client || !requestId || frames.length !== 4) {
        log.warning(`dropped a malformed request (${frames.length} frames)`);
        continue;
      }
      const opName = op!.toString();
      const id = requestId.length === 4 ? requestId.readUInt32BE() : `x${requestId.toString("hex")}`;
      let answer = dispatcher.answer(client.toString("latin1"), id, opName, payload!, 0, payload!.length, isCompact(payload!));
      if (answer instanceof Promise) answer = await answer;
      outbox.send([client, requestId, answer.ok ? OK : ERROR, answer.bytes]);
      stopping = opName === "shutdown" && answer.ok;
    }
    if (stopping) {
      log.debug("shutting down on request");
      while (!outbox.idle) await new Promise((resolve) => setImmediate(resolve));
      return;
    }
  }
}

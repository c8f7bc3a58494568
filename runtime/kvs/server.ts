import type { Router } from "zeromq";
import { getLogger } from "../config/logger.js";
import { Outbox } from "../transport/outbox.js";
import { SpinWait } from "../util/spin-wait.js";
import { KvsStatus } from "../wire/kvs.js";
import { ALONE_BYTES, AnswerPacker, BATCH_MARKER, MAX_BATCH_BYTES, unpackRequests } from "../wire/kvs-batch.js";
import { isCompact } from "../wire/kvs-codec.js";
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
  /** The requests' handler, when several sockets serve one store; made from the options above if absent. */
  service?: KvsService;
  /** µs to poll for the next request after answering, before sleeping (runtime/util/spin-wait.ts); default 0: never. */
  spinWaitUs?: number;
}

/**
 * The store's side of the KVS protocol, whatever carries it (a zeromq ROUTER, the local socket):
 * takes a client's messages, answers each in the same form. A request comes alone ([id, op,
 * payload]) or with others in a batch ([empty, packed]: see runtime/wire/kvs-batch.ts), answered in
 * order. A bad request gets a typed error back; one without a reply address (or a malformed
 * batch) is logged and dropped. One instance per store, shared by every socket that serves it.
 */
export class KvsService {
  #dispatcher: Dispatcher;

  constructor({ store = new Store(), transactions, maxValueBytes = Infinity }: Omit<ServeOptions, "service"> = {}) {
    this.#dispatcher = new Dispatcher(store, transactions, maxValueBytes);
  }

  /**
   * Answers one message from `client` (a routing id, latin1: unique per connection across
   * sockets), sending each answer through `reply`. Returns a promise only while a first
   * `transact` loads the job script: the caller waits before reading on, so order is kept.
   */
  handle(client: string, frames: Buffer[], reply: (frames: Buffer[]) => void): void | Promise<void> {
    if (frames.length === 2 && frames[0]!.length === 0) return this.#batch(client, frames[1]!, reply);
    const [requestId, op, payload] = frames;
    if (frames.length !== 3) {
      log.warning(`dropped a malformed request (${frames.length + 1} frames)`);
      return;
    }
    const id = requestId!.length === 4 ? requestId!.readUInt32BE() : `x${requestId!.toString("hex")}`;
    const answer = this.#dispatcher.answer(client, id, op!.toString(), payload!, 0, payload!.length, isCompact(payload!));
    const send = ({ ok, bytes }: { ok: boolean; bytes: Buffer }) => reply([requestId!, ok ? OK : ERROR, bytes]);
    return answer instanceof Promise ? answer.then(send) : send(answer);
  }

  async #batch(client: string, packed: Buffer, reply: (frames: Buffer[]) => void): Promise<void> {
    // Our clients never pack more (runtime/client/kvs-client.ts); a bigger batch, up to the socket's
    // limit, would be millions of requests answered before any other client's.
    if (packed.length > MAX_BATCH_BYTES) {
      log.warning(`dropped a batch of ${packed.length} bytes, over MAX_BATCH_BYTES (${MAX_BATCH_BYTES})`);
      return;
    }
    const requests = unpackRequests(packed);
    if (typeof requests === "string") {
      log.warning(`dropped a malformed batch of requests (${requests})`);
      return;
    }
    const packer = new AnswerPacker(); // one per batch: another may run while this one waits for a transaction to load
    const sendPacked = () => packer.count > 0 && reply([BATCH_MARKER, packer.take()]);
    try {
      for (const { id, op, start, end } of requests) {
        let answer = this.#dispatcher.answer(client, id, op, packed, start, end, true);
        if (answer instanceof Promise) answer = await answer;
        if (answer.bytes.length >= ALONE_BYTES) {
          // Not copied into the batch: sent alone, after the answers before it.
          sendPacked();
          const requestId = Buffer.allocUnsafe(4);
          requestId.writeUInt32BE(id);
          reply([requestId, answer.ok ? OK : ERROR, answer.bytes]);
        } else {
          packer.add(id, answer.ok, answer.bytes);
          if (packer.bytes >= MAX_BATCH_BYTES) sendPacked();
        }
      }
    } finally {
      sendPacked();
    }
  }
}

/** Serves the store on a ROUTER socket: requests carry an id, so a client may have many in flight. Resolves when the socket closes. */
export async function serve(socket: Router, { service, spinWaitUs = 0, ...options }: ServeOptions = {}): Promise<void> {
  const handler = service ?? new KvsService(options);
  const outbox = new Outbox(socket, (error) => log.error(`reply failed: ${error.message}`));
  const spin = new SpinWait(spinWaitUs);
  const reply = (client: Buffer, answer: Buffer[]) => {
    outbox.send([client, ...answer]);
    spin.sent();
  };
  for await (const frames of socket) {
    spin.answered();
    const client = frames[0];
    if (!client || frames.length < 2) {
      log.warning(`dropped a malformed request (${frames.length} frames)`);
      continue;
    }
    try {
      const handled = handler.handle(client.toString("latin1"), frames.slice(1), (answer) => reply(client, answer));
      if (handled instanceof Promise) await handled;
    } catch (error) {
      log.error(`dropped a request that failed unexpectedly: ${(error as Error)?.message}`); // and keep serving
    }
  }
}

import { Reply } from "zeromq";
import { getLogger } from "../logger.js";
import { z85 } from "./keys.js";

const log = getLogger("zap");
/** ZAP (ZeroMQ RFC 27) handlers live at this address, one per process (per zeromq context). */
const ZAP_ENDPOINT = "inproc://zeromq.zap.01";
/** The domain our CURVE sockets ask ZAP about. */
export const ZAP_DOMAIN = "strmbrkr";
/** A refused key is logged at most this often: a misconfigured peer retries every 100 ms. */
const REFUSAL_LOG_MS = 60_000;

/**
 * Answers libzmq's authentication requests for every CURVE socket of this process: a peer is
 * admitted only if its public key is in `authorized`. Must be bound before those sockets are:
 * without a handler libzmq admits any CURVE client.
 */
export async function startZapHandler(authorized: readonly string[]): Promise<Reply> {
  const allowed = new Set(authorized);
  const socket = new Reply({ linger: 0 });
  await socket.bind(ZAP_ENDPOINT);
  const refusedAt = new Map<string, number>();
  void (async () => {
    try {
      for await (const [version, requestId, domain, address, , mechanism, credentials] of socket) {
        const key = mechanism?.toString() === "CURVE" && credentials?.length === 32 ? z85(credentials) : "";
        const ok = version?.toString() === "1.0" && domain?.toString() === ZAP_DOMAIN && allowed.has(key);
        if (!ok && Date.now() - (refusedAt.get(key) ?? 0) > REFUSAL_LOG_MS) {
          refusedAt.set(key, Date.now());
          log.warning(`refused a connection from ${address?.toString()}: ${key ? `public key ${key} is not in --authorized-keys` : `no CURVE key (${mechanism?.toString()})`}`);
        }
        await socket.send(["1.0", requestId ?? "", ok ? "200" : "400", ok ? "OK" : "not authorized", ok ? key : "", ""]);
      }
    } catch (error) {
      if (!socket.closed) log.error(`ZAP handler failed: ${(error as Error).message}`);
    }
  })();
  return socket;
}

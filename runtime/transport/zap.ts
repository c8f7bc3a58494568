import type { Reply } from "zeromq";
import { zeromq } from "./zeromq.js";
import { getLogger } from "../config/logger.js";
import { z85 } from "../util/curve.js";
import type { RuntimeContext } from "../wire/context.js";
import { readRunKeys, runServerSecurity, RUN_ZAP_DOMAIN, type ServerSecurity } from "./run-keys.js";

const log = getLogger("zap");
/** ZAP (ZeroMQ RFC 27) handlers live at this address, one per process (per zeromq context). */
const ZAP_ENDPOINT = "inproc://zeromq.zap.01";
/** The domain the CURVE sockets of --listen ask ZAP about. */
export const ZAP_DOMAIN = "strmbrkr";
/** A refused key is logged at most this often: a misconfigured peer retries every 100 ms. */
const REFUSAL_LOG_MS = 60_000;

/**
 * Answers libzmq's authentication requests for every CURVE socket of this process: a peer is
 * admitted only if its public key is among those `admitted` lists for the socket's ZAP domain —
 * the run's own client key on its loopback sockets, the keys of --authorized-keys on those of
 * --listen. Must be bound before those sockets are: without a handler libzmq admits any CURVE client.
 */
export async function startZapHandler(admitted: Record<string, readonly string[]>): Promise<Reply> {
  const allowed = new Map(Object.entries(admitted).map(([domain, keys]) => [domain, new Set(keys)]));
  const socket = new (zeromq().Reply)({ linger: 0 });
  await socket.bind(ZAP_ENDPOINT);
  const refusedAt = new Map<string, number>();
  void (async () => {
    try {
      for await (const [version, requestId, domainFrame, address, , mechanism, credentials] of socket) {
        const key = mechanism?.toString() === "CURVE" && credentials?.length === 32 ? z85(credentials) : "";
        const domain = domainFrame?.toString() ?? "";
        const ok = version?.toString() === "1.0" && key !== "" && allowed.get(domain)?.has(key) === true;
        if (refusedAt.size > 1_000) refusedAt.clear(); // bounded: a flood of keys costs no memory
        if (!ok && Date.now() - (refusedAt.get(key) ?? 0) > REFUSAL_LOG_MS) {
          refusedAt.set(key, Date.now());
          const why = !key
            ? `no CURVE key (${mechanism?.toString()})`
            : domain === RUN_ZAP_DOMAIN
              ? "not this run's key (its sockets admit the run's own processes and tools only)"
              : `public key ${key} is not in --authorized-keys`;
          log.warning(`refused a connection from ${address?.toString()}: ${why}`);
        }
        await socket.send(["1.0", requestId ?? "", ok ? "200" : "400", ok ? "OK" : "not authorized", ok ? key : "", ""]);
      }
    } catch (error) {
      if (!socket.closed) log.error(`ZAP handler failed: ${(error as Error).message}`);
    }
  })();
  return socket;
}

/**
 * Starts this process's ZAP handler if it has CURVE sockets — the run's loopback ones
 * (`--protocol tcp`, unless `loopbackTcp` says the process binds none), those of --listen — and
 * returns the options of its loopback server sockets: CURVE with the run's key, or none for ipc
 * files, which the 0700 run directory protects.
 */
export async function secureRunSockets(
  context: RuntimeContext,
  { loopbackTcp = context.config.socketProtocol === "tcp" } = {},
): Promise<{ loopback: ServerSecurity; zap?: Reply }> {
  const runKeys = loopbackTcp ? readRunKeys(context.runDir) : undefined;
  const admitted: Record<string, readonly string[]> = {};
  if (runKeys) admitted[RUN_ZAP_DOMAIN] = [runKeys.client.publicKey];
  if (context.listen?.curve) admitted[ZAP_DOMAIN] = context.listen.curve.authorized;
  const zap = Object.keys(admitted).length > 0 ? await startZapHandler(admitted) : undefined;
  return { loopback: runKeys ? runServerSecurity(runKeys) : {}, zap };
}

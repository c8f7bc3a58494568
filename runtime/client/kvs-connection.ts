import type { Config } from "../config/config.js";
import { nearestKvsEndpoint } from "../transport/kvs-discovery.js";
import type { CurveClientKeys } from "../util/curve.js";
import type { KvsClient } from "./kvs-client.js";

export interface KvsConnectionOptions {
  config: Config;
  /** This process's run directory, where the store's local socket is when they share a machine. */
  runDir: string | undefined;
  /** CURVE keys, for a tcp:// endpoint. */
  curve: CurveClientKeys | undefined;
}

/**
 * A store client for `endpoint` with the run's settings: over the store's local socket when this
 * process shares its machine and run directory, else over zeromq. Its modules load here, on first
 * use: a worker that never calls the store starts sooner.
 */
export async function connectKvs(endpoint: string, { config, runDir, curve }: KvsConnectionOptions): Promise<KvsClient> {
  const { KvsClient, transactTimeoutMs } = await import("./kvs-client.js");
  const {
    kvsClientSocketTimeout: timeoutMs,
    kvsClientSocketAttempts: attempts,
    kvsTransactionTimeout,
    kvsMaxValueBytes: maxValueBytes,
  } = config;
  return new KvsClient(nearestKvsEndpoint(runDir, endpoint), {
    timeoutMs,
    attempts,
    transactTimeoutMs: transactTimeoutMs(timeoutMs, kvsTransactionTimeout),
    maxValueBytes,
    curve,
  });
}

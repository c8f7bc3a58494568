import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/config.js";
import { KVS_LOCAL_SOCKET } from "../wire/kvs.js";
import type { KvsClient } from "./kvs-client.js";

/**
 * A store client for `endpoint` with the run's settings: over the store's local socket when this
 * process shares its machine and run directory, else over zeromq. Its modules load here, on first
 * use: a worker that never calls the store starts sooner.
 */
export async function connectKvs(endpoint: string, config: Config, runDir: string | undefined): Promise<KvsClient> {
  const { KvsClient, transactTimeoutMs } = await import("./kvs-client.js");
  const local = runDir === undefined ? undefined : join(runDir, KVS_LOCAL_SOCKET);
  const localPath = local !== undefined && existsSync(local) ? local : undefined;
  const { kvsClientSocketTimeout: timeoutMs, kvsClientSocketAttempts: attempts, kvsTransactionTimeout, kvsMaxValueBytes: maxValueBytes } = config;
  return new KvsClient(endpoint, { timeoutMs, attempts, transactTimeoutMs: transactTimeoutMs(timeoutMs, kvsTransactionTimeout), maxValueBytes, localPath });
}

import { join } from "node:path";
import type { Protocol } from "../config/config.js";

/**
 * Where a service binds: loopback on an ephemeral port, or a socket file in the run's private
 * directory. Never all interfaces.
 */
export function bindAddress(protocol: Protocol, runDir: string, name: string): string {
  return protocol === "ipc" ? `ipc://${join(runDir, `${name}.sock`)}` : "tcp://127.0.0.1:*";
}

const LOCAL_SCHEME = "unix://";

/**
 * A service's socket for peers on this machine (the host, local workers): `unix://<runDir>/<name>-local.sock`,
 * whatever the protocol, for the broker (runtime/transport/local-router.ts) and the store
 * (runtime/kvs/local.ts); clients connect to it as to any endpoint (runtime/transport/connect.ts).
 * zeromq's I/O threads cost a lone job more than the job itself.
 */
export function localAddress(runDir: string, name: string): string {
  return `${LOCAL_SCHEME}${join(runDir, `${name}-local.sock`)}`;
}

/** The socket file of a localAddress, or undefined for a zeromq endpoint. */
export function localPathOf(endpoint: string): string | undefined {
  return endpoint.startsWith(LOCAL_SCHEME) ? endpoint.slice(LOCAL_SCHEME.length) : undefined;
}

import { join } from "node:path";
import type { Protocol } from "./config.js";

/**
 * Where a service binds: loopback on an ephemeral port, or a socket file in the run's private
 * directory. Never all interfaces.
 */
export function bindAddress(protocol: Protocol, runDir: string, name: string): string {
  return protocol === "ipc" ? `ipc://${join(runDir, `${name}.sock`)}` : "tcp://127.0.0.1:*";
}

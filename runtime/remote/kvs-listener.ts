import { Router, type SocketOptions } from "zeromq";
import type { ListenContext } from "../protocol.js";
import { getLogger } from "../logger.js";
import { bind, remoteAddress, serverSecurity } from "./listen.js";

/**
 * The KVS process's socket for remote workers, beside its local one: CURVE TCP (the process's ZAP handler,
 * started first, admits the allow-listed keys), or plain TCP with --insecure. A restarted
 * store binds `previous`, the endpoint remote workers already know.
 */
export async function listenForKvsClients(listen: ListenContext, previous: string | undefined, options: SocketOptions<Router>): Promise<Router> {
  const socket = new Router({ ...options, ...serverSecurity(listen) });
  await bind(socket, previous ?? remoteAddress(listen, "kvs"), "the key-value store").catch((error: Error) => {
    getLogger("kvs").critical(error.message); // a port in use: the host stops the run
    process.exit(2);
  });
  return socket;
}

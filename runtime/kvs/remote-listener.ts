import type { Router, SocketOptions } from "zeromq";
import { zeromq } from "../transport/zeromq.js";
import { toErrorInfo } from "../util/errors.js";
import { sendToOwner } from "../transport/children.js";
import type { KvsToHost } from "../wire/ipc.js";
import type { ListenContext } from "../wire/context.js";
import { bind, remoteAddress, serverSecurity } from "../remote/listen.js";

/**
 * The KVS process's socket for remote workers, beside its local one: CURVE TCP (the process's ZAP handler,
 * started first, admits the allow-listed keys), or plain TCP with --insecure. A restarted
 * store binds `previous`, the endpoint remote workers already know.
 */
export async function listenForKvsClients(
  listen: ListenContext,
  previous: string | undefined,
  options: SocketOptions<Router>,
): Promise<Router> {
  const socket = new (zeromq().Router)({ ...options, ...serverSecurity(listen) });
  await bind(socket, previous ?? remoteAddress(listen, "kvs"), "the key-value store").catch(
    (error: Error) =>
      // A port in use: the host reports it (one line) and stops the run; nothing here goes on.
      new Promise<never>(() => sendToOwner({ type: "fatal", error: toErrorInfo(error) } satisfies KvsToHost, () => process.exit(2))),
  );
  return socket;
}

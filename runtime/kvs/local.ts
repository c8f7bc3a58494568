import type { Server } from "node:net";
import { getLogger } from "../config/logger.js";
import { encodeMessage, readMessages } from "../wire/framing.js";
import { listenLocal } from "../transport/local-router.js";
import { SpinWait } from "../util/spin-wait.js";
import type { KvsService } from "./server.js";

/**
 * The KVS's local socket: a unix socket in the run directory (`localKvsAddress`,
 * runtime/transport/kvs-discovery.ts), for the host and the workers on this machine, beside the
 * zeromq ROUTER that every client (remote ones, the CLI, raw zeromq peers) can use. It carries the
 * very same messages as zeromq (runtime/wire/kvs-batch.ts, kvs-codec.ts), handled by the same
 * KvsService: only the transport differs. It exists for latency: a zeromq.js round trip crosses each
 * side's I/O thread, a unix socket's does not, and sequential requests pay that difference on every
 * round trip (BENCHMARKS.md).
 * Its framing is runtime/wire/framing.ts; its clients connect with runtime/transport/connect.ts.
 */

const log = getLogger("kvs");

/**
 * Serves `service` on a unix socket at `path` (a stale file there is replaced). Each connection's
 * messages are handled in order; one over `maxMessageBytes` (the zeromq socket's limit) or
 * malformed costs the connection, as ZMQ_MAXMSGSIZE does.
 */
export function serveLocal(path: string, service: KvsService, maxMessageBytes: number, spinWaitUs = 0): Promise<Server> {
  let connections = 0;
  const spin = new SpinWait(spinWaitUs); // the connections' answers and next requests, as one
  return listenLocal(path, (socket) => {
    // Never a zeromq routing id (5 bytes, or user-set ones, which may not start with a zero byte).
    const client = `\0local:${++connections}`;
    const reply = (frames: Buffer[]) => {
      socket.write(encodeMessage(frames));
      spin.sent();
      // A client that sends but never reads: drop it rather than hold its answers without bound.
      if (socket.writableLength > 2 * maxMessageBytes) {
        log.warning("dropped a local connection that does not read its answers");
        socket.destroy();
      }
    };
    const waiting: Buffer[][] = [];
    let busy = false;
    const run = (frames: Buffer[]): void => {
      spin.answered();
      const handled = service.handle(client, frames, reply);
      if (!(handled instanceof Promise)) return;
      busy = true; // a transaction's script loads: later messages wait, in order
      handled.then(
        () => {
          busy = false;
          while (!busy && waiting.length > 0) run(waiting.shift()!);
        },
        (error: Error) => {
          log.error(`dropped a local connection: ${error.message}`);
          socket.destroy();
        },
      );
    };
    readMessages(socket, (frames) => (busy ? waiting.push(frames) : run(frames)), {
      maxMessageBytes,
      dropped: (error) => log.warning(`dropped a local connection: ${error.message}`),
    });
    socket.on("error", () => {}); // the client went away: "close" follows
  });
}

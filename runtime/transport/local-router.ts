import { rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { MessageLike } from "zeromq";
import { getLogger } from "../config/logger.js";
import { MessageStream } from "./message-stream.js";
import { readMessages, writeMessage } from "../wire/framing.js";

const log = getLogger("local-socket");
const SENT = Promise.resolve();

/**
 * A zeromq ROUTER's part over a unix socket, for the broker's peers on this machine (LocalDealer):
 * messages arrive as [routing id, ...frames], and [routing id, ...frames] goes to that peer. A peer
 * names its routing id in its first message (empty: it gets `\0local:<n>`, never a zeromq one);
 * a new connection with the id of an open one takes it over (ZMQ_ROUTER_HANDOVER). As on our
 * ROUTERs: no high-water mark (a send never waits), a message for an unknown peer is dropped, and
 * one over `maxMessageBytes` or malformed costs the sender its connection.
 *
 * Why not zeromq: a zeromq.js message crosses an I/O thread on each side (BENCHMARKS.md), a unix
 * socket's does not, and a lone job crosses four hops.
 */
export class LocalRouter implements AsyncIterable<Buffer[]> {
  #server: Server;
  #peers = new Map<string, Socket>();
  #messages = new MessageStream();
  #anonymous = 0;
  #closed = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens at `path` (a stale file there is replaced). */
  static async bind(path: string, maxMessageBytes: number): Promise<LocalRouter> {
    const router: LocalRouter = new LocalRouter(await listenLocal(path, (socket) => router.#accept(socket, maxMessageBytes)));
    return router;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether a peer with this routing id (latin1) is connected. */
  has(id: string): boolean {
    return this.#peers.has(id);
  }

  send(frames: MessageLike[]): Promise<void> {
    const id = frames[0];
    const key = typeof id === "string" ? id : Buffer.from(id as Uint8Array).toString("latin1");
    const peer = this.#peers.get(key);
    if (peer) writeMessage(peer, frames.slice(1));
    return SENT;
  }

  close(): void {
    this.#closed = true;
    this.#server.close();
    for (const socket of this.#peers.values()) socket.destroy();
    this.#messages.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer[]> {
    return this.#messages[Symbol.asyncIterator]();
  }

  #accept(socket: Socket, maxMessageBytes: number): void {
    let id: Buffer | undefined;
    let key = "";
    const onMessage = (frames: Buffer[]) => {
      if (id) {
        frames.unshift(id);
        this.#messages.push(frames);
        return;
      }
      id = frames[0]?.length ? Buffer.from(frames[0]) : Buffer.from(`\0local:${++this.#anonymous}`, "latin1");
      key = id.toString("latin1");
      this.#peers.get(key)?.destroy(); // handover
      this.#peers.set(key, socket);
    };
    readMessages(socket, onMessage, { maxMessageBytes, dropped: (error) => log.warning(`dropped a local connection: ${error.message}`) });
    socket.on("error", () => {}); // "close" follows
    socket.on("close", () => {
      if (this.#peers.get(key) === socket) this.#peers.delete(key);
    });
  }
}

/** A socket that only listens (for direct copies of results, for leased jobs). */
export interface MessageSocket {
  /** Stops listening and drops the connections. */
  close(): void;
}

/**
 * Listens at `path`; each message that arrives goes to `onMessage`, and one over
 * `maxMessageBytes`, malformed, or that it throws on costs its sender the connection. Neither the
 * socket nor its connections keep the process alive.
 */
export async function listenForMessages(
  path: string,
  maxMessageBytes: number,
  onMessage: (frames: Buffer[]) => void,
): Promise<MessageSocket> {
  const connections = new Set<Socket>();
  const server = await listenLocal(path, (socket) => {
    connections.add(socket);
    socket.unref();
    socket.on("error", () => {});
    socket.on("close", () => connections.delete(socket));
    readMessages(socket, onMessage, { maxMessageBytes });
  });
  server.unref();
  return {
    close() {
      server.close();
      for (const socket of connections) socket.destroy();
    },
  };
}

/** A unix socket server at `path` (a stale file there is replaced), listening once this resolves. */
export function listenLocal(path: string, onConnection: (socket: Socket) => void): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer(onConnection);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      server.on("error", (error) => log.error(`${path}: ${error.message}`));
      resolve(server);
    });
  });
}

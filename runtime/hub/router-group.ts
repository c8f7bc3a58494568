import type { MessageLike } from "zeromq";
import { getLogger } from "../config/logger.js";
import { MessageStream } from "../transport/message-stream.js";

const log = getLogger("router-group");
/** How often dropped messages from peers not admitted on a socket are logged. */
const DROP_LOG_MS = 5_000;

/** What the broker needs of a socket: a zeromq ROUTER, a LocalRouter (runtime/transport/local-router.ts), or a RouterGroup of them. */
export interface RouterLike extends AsyncIterable<Buffer[]> {
  send(frames: MessageLike[]): Promise<void>;
  readonly closed: boolean;
}

/**
 * The id the broker knows a peer of a socket by, from its routing id there; undefined drops its
 * message (it may not speak on this socket). Remote sockets use it to tag their peers' ids, so two
 * sockets' ids never collide, and to check the secret in a remote worker's.
 */
export type Admit = (id: Buffer) => Buffer | undefined;

interface Member {
  socket: RouterLike;
  admit: Admit;
}

/**
 * Several ROUTER sockets seen as one by the broker: the unix socket of the host and local workers,
 * the zeromq one with --protocol ipc (socket files in the run directory), and with --listen CURVE
 * TCP ones for remote peers. Messages from all arrive in one stream; a message is sent back on the socket its
 * routing id last came from. Peers of a tagged socket get its tag before their routing id, so the
 * broker can tell them apart from local ones.
 */
export class RouterGroup {
  #members: Member[] = [];
  /** Routing id as the broker sees it (latin1) -> where to send it, and the id on that socket. */
  #routes = new Map<string, { socket: RouterLike; id: Buffer }>();
  static readonly #asIs: Admit = (id) => id;
  #messages = new MessageStream();
  #primary: RouterLike;

  constructor(primary: RouterLike) {
    this.#primary = primary;
    this.add(primary);
  }

  get closed(): boolean {
    return this.#primary.closed;
  }

  add(socket: RouterLike, admit: Admit = RouterGroup.#asIs): void {
    const member: Member = { socket, admit };
    this.#members.push(member);
    void this.#pump(member);
  }

  send(frames: MessageLike[]): Promise<void> {
    const [id, ...rest] = frames;
    const key = typeof id === "string" ? Buffer.from(id).toString("latin1") : Buffer.from(id as Uint8Array).toString("latin1");
    const route = this.#routes.get(key);
    if (!route) return this.#primary.send(frames);
    return route.socket.send([route.id, ...rest]);
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer[]> {
    return this.#messages[Symbol.asyncIterator]();
  }

  async #pump({ socket, admit }: Member): Promise<void> {
    let dropped = 0;
    let loggedAt = 0;
    try {
      for await (const frames of socket) {
        const id = frames[0];
        const seen = id && admit(id);
        if (!seen) {
          // Logged at most every few seconds: a peer that floods us must not flood the log too.
          dropped++;
          if (Date.now() - loggedAt >= DROP_LOG_MS) {
            log.warning(
              `dropped a message from ${JSON.stringify(id?.toString("latin1").slice(0, 32))}: not admitted on this socket${dropped > 1 ? ` (${dropped} dropped since the last such line)` : ""}`,
            );
            loggedAt = Date.now();
            dropped = 0;
          }
          continue;
        }
        const key = seen.toString("latin1");
        if (socket !== this.#primary && this.#routes.get(key)?.socket !== socket) {
          if (this.#routes.size > 100_000) this.#routes.clear(); // bounded; a forgotten peer is routed again on its next message
          this.#routes.set(key, { socket, id });
        }
        frames[0] = seen;
        this.#messages.push(frames);
      }
    } catch (error) {
      if (!socket.closed) log.error(`socket failed: ${(error as Error).message}`);
    }
    if (socket === this.#primary) this.#messages.end();
  }
}

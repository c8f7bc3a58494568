import type { Dealer, MessageLike } from "zeromq";
import type { CurveClientKeys } from "../util/curve.js";
import { clientSecurity } from "./client-security.js";
import { localPathOf } from "./endpoints.js";
import { LocalDealer } from "./local-link.js";
import { zeromq } from "./zeromq.js";

/** A client's end of a connection to the broker or the store, whichever the transport: a zeromq DEALER's part. */
export interface DealerLike extends AsyncIterable<Buffer[]> {
  /** Resolves once the message is queued; waits while the queue is full (ConnectOptions.sendLimit). */
  send(frames: MessageLike[]): Promise<void>;
  readonly closed: boolean;
  close(): void;
}

export interface ConnectOptions {
  /** CURVE client keys, used on a tcp:// endpoint (ipc and local sockets live in the run's 0700 directory). */
  curve?: CurveClientKeys;
  /**
   * For the broker, whose sockets name each peer by the id it gives: this one, or "" to be given
   * one. On zeromq it is ZMQ_ROUTING_ID (unless empty); on a local socket, the first message of
   * every connection (runtime/transport/local-router.ts). Unset for the store, whose local socket
   * takes no such message.
   */
  routingId?: string;
  /**
   * How much may wait unsent before a send waits: `messages` on zeromq (default 1000, zeromq's),
   * `bytes` buffered on a local socket (default no limit).
   */
  sendLimit?: { messages?: number; bytes?: number };
  /**
   * While a local socket is disconnected, what is sent is held, up to this many messages; past it,
   * lost, as the store's client expects (it resends on timeout). Default: nothing is lost, and a
   * send waits for the connection.
   */
  maxHeld?: number;
  /** On a local socket: reads land in one shared buffer and are copied out (LocalLinkOptions.sharedReadBuffer). */
  sharedReadBuffer?: boolean;
  /** Called when a CURVE server refuses this client's keys (or their absence): final, unlike a lost connection. */
  onRefused?: () => void;
}

/**
 * Connects to `endpoint`: a local unix socket when it is one (`unix://`, runtime/transport/endpoints.ts),
 * else zeromq, a CURVE client on TCP when given keys. Either reconnects by itself to a server that
 * comes back at the same endpoint. No receive limit: answers wait for a busy reader, however many.
 */
export function connect(
  endpoint: string,
  { curve, routingId, sendLimit, maxHeld, sharedReadBuffer, onRefused }: ConnectOptions = {},
): DealerLike {
  const localPath = localPathOf(endpoint);
  if (localPath !== undefined)
    return new LocalDealer(localPath, { routingId, sendBufferBytes: sendLimit?.bytes, maxHeld, sharedReadBuffer });
  const security = clientSecurity(endpoint, curve);
  const socket = new (zeromq().Dealer)({
    linger: 0,
    receiveHighWaterMark: 0,
    ...(routingId ? { routingId } : {}),
    ...(sendLimit?.messages === undefined ? {} : { sendHighWaterMark: sendLimit.messages }),
    ...security,
  });
  if (onRefused) void watchRefusals(socket, onRefused); // before connecting: earlier events are lost
  socket.connect(endpoint);
  return socket;
}

/**
 * Reads `connection`, handing each message to `onMessage`; rejects if reading fails. A local
 * socket's go straight from its data callback, without the turn of the event loop `for await`
 * costs each (the store client's sequential requests pay it per answer).
 */
export async function receiveEach(connection: DealerLike, onMessage: (frames: Buffer[]) => void): Promise<void> {
  if (connection instanceof LocalDealer) return connection.receiveEach(onMessage);
  for await (const frames of connection) onMessage(frames);
}

async function watchRefusals(socket: Dealer, onRefused: () => void): Promise<void> {
  try {
    for await (const event of socket.events) {
      if (event.type === "handshake:error:auth" || event.type === "handshake:error:protocol") onRefused();
    }
  } catch {
    // the socket closed
  }
}

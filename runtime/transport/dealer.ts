import type { MessageLike } from "zeromq";
import { localPathOf } from "./endpoints.js";
import { LocalDealer } from "./local-link.js";
import { clientSecurity } from "./client-security.js";
import { zeromq } from "./zeromq.js";

/** What the broker's clients (QueueManager, a worker's BrokerLink) use of a DEALER. */
export interface DealerLike extends AsyncIterable<Buffer[]> {
  /** Resolves once the message is queued; waits while the queue is full, never drops. */
  send(frames: MessageLike[]): Promise<void>;
  readonly closed: boolean;
  close(): void;
}

export interface DealerOptions {
  routingId?: string;
  /** How much may wait unsent before a send waits: messages on zeromq, bytes on a local socket. Default: no limit. */
  sendLimit?: { messages: number; bytes: number };
}

/**
 * A DEALER connected to `endpoint`: over the broker's local unix socket when the endpoint is one
 * (runtime/transport/endpoints.ts), else over zeromq, a CURVE client on TCP (runtime/transport/client-security.ts). No receive limit:
 * results wait for a busy main, however many.
 */
export function connectDealer(endpoint: string, { routingId, sendLimit }: DealerOptions = {}): DealerLike {
  const localPath = localPathOf(endpoint);
  if (localPath !== undefined) return new LocalDealer(localPath, { routingId, sendBufferBytes: sendLimit?.bytes });
  const socket = new (zeromq().Dealer)({
    linger: 0,
    receiveHighWaterMark: 0,
    ...(routingId === undefined ? {} : { routingId }),
    ...(sendLimit === undefined ? {} : { sendHighWaterMark: sendLimit.messages }),
    ...clientSecurity(endpoint),
  });
  socket.connect(endpoint);
  return socket;
}

import { connect, type Socket } from "node:net";
import type { MessageLike } from "zeromq";
import { MessageStream } from "./message-stream.js";
import { encodeMessage, MessageReader, readMessages, writeMessage } from "../wire/framing.js";

const RETRY_FIRST_MS = 5;
const SENT = Promise.resolve();
const RETRY_MAX_MS = 100;
/**
 * The reads of links with `sharedReadBuffer` land here (one at a time: the callback is
 * synchronous), then what was read is copied out. Without it, each read allocates a fresh 64 KiB
 * buffer, shrunk to what arrived, and goes through the socket's stream: more than a small
 * message's own handling on a round trip.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export interface LocalLinkOptions {
  /** Sent first on every connection (the broker's local sockets take the peer's routing id so). */
  hello?: MessageLike[];
  /** A send waits for the kernel to take the bytes once more than this is buffered (0: whenever the socket's buffer is full). */
  sendBufferBytes: number;
  /**
   * While disconnected, what is sent is held, up to this many messages; past it, lost (a zeromq
   * DEALER at its high-water mark, as the KVS client expects; it resends on timeout). Infinity:
   * nothing is lost, and a send waits for the connection.
   */
  maxHeld: number;
  /**
   * Reads land in one buffer shared by the process's links and are copied out: for small
   * messages one at a time (the store's client). The broker's links keep the socket's stream:
   * tiny jobs ran slower this way (BENCHMARKS.md).
   */
  sharedReadBuffer?: boolean;
}

/**
 * A client's end of a local socket (runtime/transport/local-router.ts, runtime/kvs/local.ts). Like a zeromq
 * DEALER, it connects again by itself when the server goes (a restarted server listens at the same
 * path) and holds what is sent meanwhile.
 */
export class LocalLink {
  #path: string;
  #onMessage: (frames: Buffer[]) => void;
  #hello?: Buffer;
  #sendBufferBytes: number;
  #maxHeld: number;
  #sharedReadBuffer: boolean;
  #socket?: Socket;
  #connected = false;
  #closed = false;
  #held: Buffer[] = [];
  #whenConnected: (() => void)[] = [];
  #retryMs = RETRY_FIRST_MS;
  #retry?: NodeJS.Timeout;

  constructor(
    path: string,
    onMessage: (frames: Buffer[]) => void,
    { hello, sendBufferBytes, maxHeld, sharedReadBuffer = false }: LocalLinkOptions,
  ) {
    this.#path = path;
    this.#onMessage = onMessage;
    this.#hello = hello && encodeMessage(hello);
    this.#sendBufferBytes = sendBufferBytes;
    this.#maxHeld = maxHeld;
    this.#sharedReadBuffer = sharedReadBuffer;
    this.#connect();
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(frames: readonly MessageLike[]): Promise<void> | void {
    if (this.#closed) return;
    if (!this.#connected) {
      if (this.#held.length < this.#maxHeld) this.#held.push(encodeMessage(frames));
      if (this.#maxHeld === Infinity) return new Promise((resolve) => this.#whenConnected.push(resolve));
      return;
    }
    const socket = this.#socket!;
    if (writeMessage(socket, frames) || socket.writableLength <= this.#sendBufferBytes) return;
    // The kernel's buffer is full: wait until it drains (or the connection goes).
    return new Promise((resolve) => {
      const done = () => {
        socket.off("drain", done).off("close", done);
        resolve();
      };
      socket.on("drain", done).on("close", done);
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#socket?.destroy();
    this.#held = [];
    this.#wakeSenders();
  }

  #connect(): void {
    const socket = this.#sharedReadBuffer ? this.#connectReadingShared() : connect(this.#path);
    // A stream that is not our server's costs the connection: it connects again.
    if (!this.#sharedReadBuffer) readMessages(socket, this.#onMessage);
    this.#socket = socket;
    socket.on("connect", () => {
      this.#connected = true;
      this.#retryMs = RETRY_FIRST_MS;
      if (this.#hello) socket.write(this.#hello);
      const held = this.#held;
      this.#held = [];
      for (const bytes of held) socket.write(bytes);
      this.#wakeSenders();
    });
    socket.on("error", () => {}); // "close" follows
    socket.on("close", () => {
      this.#connected = false;
      if (this.#closed) return;
      this.#retry = setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryMs = Math.min(2 * this.#retryMs, RETRY_MAX_MS);
    });
  }

  #connectReadingShared(): Socket {
    const reader = new MessageReader();
    let broken = false;
    const socket = connect({
      path: this.#path,
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          if (broken) return false;
          try {
            reader.push(Buffer.from(buffer.subarray(0, bytes)), this.#onMessage);
          } catch {
            broken = true;
            socket.destroy();
          }
          return true;
        },
      },
    });
    return socket;
  }

  #wakeSenders(): void {
    const waiting = this.#whenConnected;
    this.#whenConnected = [];
    for (const wake of waiting) wake();
  }
}

export interface LocalDealerOptions {
  /** Sent first on every connection, for the broker's LocalRouter ("": it assigns one); unset, nothing is (the store's local socket). */
  routingId?: string;
  /** LocalLinkOptions.sendBufferBytes; default Infinity: a send never waits for the kernel. */
  sendBufferBytes?: number;
  /** LocalLinkOptions.maxHeld; default Infinity: nothing is lost. */
  maxHeld?: number;
  /** LocalLinkOptions.sharedReadBuffer. */
  sharedReadBuffer?: boolean;
}

/**
 * A zeromq DEALER's part over a local socket, for the peers of the broker and the store on this
 * machine (the host, local workers): the same interface as zeromq.js's Dealer where we use it.
 */
export class LocalDealer implements AsyncIterable<Buffer[]> {
  #messages = new MessageStream();
  #deliver = (frames: Buffer[]) => this.#messages.push(frames);
  #link: LocalLink;

  constructor(path: string, { routingId, sendBufferBytes = Infinity, maxHeld = Infinity, sharedReadBuffer }: LocalDealerOptions = {}) {
    const hello = routingId === undefined ? undefined : [routingId];
    this.#link = new LocalLink(path, (frames) => this.#deliver(frames), { hello, sendBufferBytes, maxHeld, sharedReadBuffer });
  }

  /** From now on each message goes to `onMessage` as it arrives, not to `for await`. */
  receiveEach(onMessage: (frames: Buffer[]) => void): void {
    this.#deliver = onMessage;
  }

  get closed(): boolean {
    return this.#link.closed;
  }

  send(frames: MessageLike[]): Promise<void> {
    return this.#link.send(frames) ?? SENT;
  }

  close(): void {
    this.#link.close();
    this.#messages.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer[]> {
    return this.#messages[Symbol.asyncIterator]();
  }
}

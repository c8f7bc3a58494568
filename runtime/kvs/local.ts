import { rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { getLogger } from "../logger.js";
import type { KvsService } from "./server.js";

/**
 * The KVS's local socket: a unix socket in the run directory (KVS_LOCAL_SOCKET), for the host and
 * the workers on this machine, beside the zeromq ROUTER that every client (remote ones, the CLI,
 * raw zeromq peers) can use. It carries the very same messages as zeromq (runtime/kvs/batch.ts,
 * codec.ts), handled by the same KvsService: only the transport differs. It exists for latency: a
 * zeromq.js round trip crosses each side's I/O thread (~55–110 µs here), a unix socket's does not
 * (~15–25 µs), which is what sequential requests pay.
 *
 * On the stream, a message is: u32 BE length of the rest, then each frame as u32 BE length + bytes.
 */

const log = getLogger("kvs");

/** One message as stream bytes. */
export function encodeMessage(frames: Buffer[]): Buffer {
  let length = 0;
  for (const frame of frames) length += 4 + frame.length;
  const bytes = Buffer.allocUnsafe(4 + length);
  bytes.writeUInt32BE(length, 0);
  let at = 4;
  for (const frame of frames) {
    bytes.writeUInt32BE(frame.length, at);
    frame.copy(bytes, at + 4);
    at += 4 + frame.length;
  }
  return bytes;
}

/** Cuts a byte stream into messages. Throws for a message over `maxMessageBytes` or with bad frame lengths (the stream cannot be trusted after that). */
export class MessageReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes of the message being read, header included; -1 before its header arrived. */
  #need = -1;
  #maxMessageBytes: number;

  constructor(maxMessageBytes = Infinity) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  push(chunk: Buffer, onMessage: (frames: Buffer[]) => void): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < 4) return;
        if (this.#chunks[0]!.length < 4) this.#chunks = [Buffer.concat(this.#chunks)];
        const length = this.#chunks[0]!.readUInt32BE(0);
        if (length > this.#maxMessageBytes) throw new RangeError(`a message of ${length} bytes, over the limit (${this.#maxMessageBytes})`);
        this.#need = 4 + length;
      }
      if (this.#buffered < this.#need) return;
      const message = this.#take(this.#need);
      this.#need = -1;
      onMessage(framesOf(message));
    }
  }

  #take(bytes: number): Buffer {
    let first = this.#chunks[0]!;
    if (first.length < bytes) {
      first = Buffer.concat(this.#chunks);
      this.#chunks = [first];
    }
    this.#buffered -= bytes;
    if (first.length === bytes) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(bytes);
    return first.subarray(0, bytes);
  }
}

function framesOf(message: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let at = 4;
  while (at < message.length) {
    if (at + 4 > message.length) throw new RangeError("a frame length cut short");
    const end = at + 4 + message.readUInt32BE(at);
    if (end > message.length) throw new RangeError("a frame longer than its message");
    frames.push(message.subarray(at + 4, end));
    at = end;
  }
  return frames;
}

/**
 * Serves `service` on a unix socket at `path` (a stale file there is replaced). Each connection's
 * messages are handled in order; one over `maxMessageBytes` (the zeromq socket's limit) or
 * malformed costs the connection, as ZMQ_MAXMSGSIZE does.
 */
export function serveLocal(path: string, service: KvsService, maxMessageBytes: number): Promise<Server> {
  rmSync(path, { force: true });
  let connections = 0;
  const server = createServer((socket) => {
    // Never a zeromq routing id (5 bytes, or user-set ones, which may not start with a zero byte).
    const client = `\0local:${++connections}`;
    const reader = new MessageReader(maxMessageBytes);
    const reply = (frames: Buffer[]) => {
      socket.write(encodeMessage(frames));
      // A client that sends but never reads: drop it rather than hold its answers without bound.
      if (socket.writableLength > 2 * maxMessageBytes) {
        log.warning("dropped a local connection that does not read its answers");
        socket.destroy();
      }
    };
    const waiting: Buffer[][] = [];
    let busy = false;
    const stopAfterFlush = () => void socket.end(() => service.stop());
    const run = (frames: Buffer[]): void => {
      const stopping = service.handle(client, frames, reply);
      if (stopping === true) return stopAfterFlush();
      if (stopping === false) return;
      busy = true; // a transaction's script loads: later messages wait, in order
      stopping.then(
        (stop) => {
          busy = false;
          if (stop) return stopAfterFlush();
          while (!busy && waiting.length > 0) run(waiting.shift()!);
        },
        (error: Error) => {
          log.error(`dropped a local connection: ${error.message}`);
          socket.destroy();
        },
      );
    };
    socket.on("data", (chunk: Buffer) => {
      try {
        reader.push(chunk, (frames) => (busy ? waiting.push(frames) : run(frames)));
      } catch (error) {
        log.warning(`dropped a local connection: ${(error as Error).message}`);
        socket.destroy();
      }
    });
    socket.on("error", () => {}); // the client went away: "close" follows
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      server.on("error", (error) => log.error(`local socket: ${error.message}`));
      resolve(server);
    });
  });
}

/** How a KvsClient reaches its server: one message at a time out (the client waits for each send), every message in. */
export interface KvsLink {
  send(frames: Buffer[]): Promise<void> | void;
  close(): void;
  readonly closed: boolean;
}

const RETRY_FIRST_MS = 5;
const RETRY_MAX_MS = 100;
const MAX_HELD_MESSAGES = 1000;

/**
 * A client's end of the local socket. Like a zeromq DEALER, it connects again by itself when the
 * server goes (a restarted store listens at the same path) and holds what is sent meanwhile.
 */
export class LocalLink implements KvsLink {
  #path: string;
  #onMessage: (frames: Buffer[]) => void;
  #socket?: Socket;
  #connected = false;
  #closed = false;
  #held: Buffer[] = [];
  #retryMs = RETRY_FIRST_MS;
  #retry?: NodeJS.Timeout;

  constructor(path: string, onMessage: (frames: Buffer[]) => void) {
    this.#path = path;
    this.#onMessage = onMessage;
    this.#connect();
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(frames: Buffer[]): Promise<void> | void {
    const bytes = encodeMessage(frames);
    if (!this.#connected) {
      // Like a DEALER's queue (ZMQ_SNDHWM 1000): past it, what is sent is lost and times out.
      if (this.#held.length < MAX_HELD_MESSAGES) this.#held.push(bytes);
      return;
    }
    const socket = this.#socket!;
    if (socket.write(bytes)) return;
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
  }

  #connect(): void {
    const socket = connect(this.#path);
    this.#socket = socket;
    const reader = new MessageReader();
    socket.on("connect", () => {
      this.#connected = true;
      this.#retryMs = RETRY_FIRST_MS;
      const held = this.#held;
      this.#held = [];
      for (const bytes of held) socket.write(bytes);
    });
    socket.on("data", (chunk: Buffer) => {
      try {
        reader.push(chunk, this.#onMessage);
      } catch {
        socket.destroy(); // not our server's stream: connect again
      }
    });
    socket.on("error", () => {}); // "close" follows
    socket.on("close", () => {
      this.#connected = false;
      if (this.#closed) return;
      this.#retry = setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryMs = Math.min(2 * this.#retryMs, RETRY_MAX_MS);
    });
  }
}

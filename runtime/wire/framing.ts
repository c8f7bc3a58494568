import type { Socket } from "node:net";
import type { MessageLike } from "zeromq";

/**
 * Multipart messages on a byte stream (a unix socket), for the local transport: a message is a
 * u32 BE length of the rest, then each frame as u32 BE length + bytes. The same messages as on
 * zeromq; only the transport differs.
 */

/** One message as stream bytes. Frames are bytes or strings (UTF-8), as zeromq takes them. */
export function encodeMessage(frames: readonly MessageLike[]): Buffer {
  let length = 0;
  const buffers: (Buffer | string)[] = [];
  for (const frame of frames) {
    const part = typeof frame === "string" || Buffer.isBuffer(frame) ? frame : toBuffer(frame);
    buffers.push(part);
    length += 4 + (typeof part === "string" ? Buffer.byteLength(part) : part.length);
  }
  const bytes = Buffer.allocUnsafe(4 + length);
  bytes.writeUInt32BE(length, 0);
  let at = 4;
  for (const part of buffers) {
    const size = typeof part === "string" ? bytes.write(part, at + 4) : part.copy(bytes, at + 4);
    bytes.writeUInt32BE(size, at);
    at += 4 + size;
  }
  return bytes;
}

/** Messages up to this size are copied into one buffer; larger ones are written frame by frame. */
const COPY_BELOW_BYTES = 64 * 1024;

/**
 * Writes one message to `socket`, in one system call either way; returns what `socket.write` does.
 * A large message's frames are not copied: each big new buffer costs a garbage collection sooner,
 * and the hub holding a million queued jobs pays dearly for each.
 */
export function writeMessage(socket: Socket, frames: readonly MessageLike[]): boolean {
  // At most 3 bytes per UTF-16 unit: small messages take one pass, in encodeMessage.
  let most = 0;
  for (const frame of frames) most += 4 + (typeof frame === "string" ? 3 * frame.length : byteSize(frame));
  if (most < COPY_BELOW_BYTES) return socket.write(encodeMessage(frames));
  const parts = frames.map((frame) => (typeof frame === "string" || Buffer.isBuffer(frame) ? frame : toBuffer(frame)));
  const sizes = parts.map(byteSize);
  socket.cork();
  socket.write(u32(sizes.reduce((sum, size) => sum + 4 + size, 0)));
  for (let i = 0; i < parts.length; i++) {
    socket.write(u32(sizes[i]!));
    socket.write(parts[i]!);
  }
  socket.uncork();
  return socket.writableLength < socket.writableHighWaterMark;
}

function u32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function byteSize(frame: MessageLike): number {
  if (typeof frame === "string") return Buffer.byteLength(frame);
  return Buffer.isBuffer(frame) ? frame.length : toBuffer(frame).length;
}

function toBuffer(frame: MessageLike): Buffer {
  if (ArrayBuffer.isView(frame)) return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame instanceof ArrayBuffer || frame instanceof SharedArrayBuffer) return Buffer.from(frame);
  return Buffer.from(frame === null ? "" : String(frame));
}

/**
 * Hands each message `socket` brings to `onMessage`. One over `maxMessageBytes`, malformed, or
 * that `onMessage` throws on costs the connection (`dropped` hears why): the stream cannot be
 * trusted after it.
 */
export function readMessages(
  socket: Socket,
  onMessage: (frames: Buffer[]) => void,
  { maxMessageBytes = Infinity, dropped }: { maxMessageBytes?: number; dropped?: (error: Error) => void } = {},
): void {
  const reader = new MessageReader(maxMessageBytes);
  socket.on("data", (chunk: Buffer) => {
    try {
      reader.push(chunk, onMessage);
    } catch (error) {
      dropped?.(error as Error);
      socket.destroy();
    }
  });
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
        const length = this.#lengthAhead();
        if (length > this.#maxMessageBytes) throw new RangeError(`a message of ${length} bytes, over the limit (${this.#maxMessageBytes})`);
        this.#need = 4 + length;
      }
      if (this.#buffered < this.#need) return;
      const message = this.#take(this.#need);
      this.#need = -1;
      onMessage(framesOf(message));
    }
  }

  /** The u32 BE length at the front (4 bytes are held), read across chunks without joining them (see #take). */
  #lengthAhead(): number {
    const first = this.#chunks[0]!;
    if (first.length >= 4) return first.readUInt32BE(0);
    let length = 0;
    let read = 0;
    for (const chunk of this.#chunks) {
      for (let i = 0; i < chunk.length && read < 4; i++, read++) length = length * 256 + chunk[i]!;
      if (read === 4) break;
    }
    return length;
  }

  /**
   * The next `bytes` bytes: a view of the first chunk when it holds them all, else a copy of just
   * those bytes. Joining every chunk held (what follows the message too) copied a tiny-jobs run's
   * 12 MB of split messages as 21 MB, into fresh memory each time (BENCHMARKS.md).
   */
  #take(bytes: number): Buffer {
    this.#buffered -= bytes;
    const first = this.#chunks[0]!;
    if (first.length >= bytes) {
      if (first.length === bytes) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(bytes);
      return first.subarray(0, bytes);
    }
    const message = Buffer.allocUnsafe(bytes);
    let at = 0;
    let used = 0; // chunks taken whole
    for (; at < bytes; used++) {
      const chunk = this.#chunks[used]!;
      const part = Math.min(chunk.length, bytes - at);
      chunk.copy(message, at, 0, part);
      at += part;
      if (part < chunk.length) {
        this.#chunks[used] = chunk.subarray(part);
        break;
      }
    }
    this.#chunks.splice(0, used);
    return message;
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

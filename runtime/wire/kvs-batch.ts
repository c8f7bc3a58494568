/**
 * Many KVS requests (or answers) in one zeromq message: [empty frame, packed entries]. An empty
 * first frame is never a request id (always 4 bytes), so one socket carries both this and the
 * one-request-per-message form. Entries, back to back, integers big-endian like request ids:
 *
 *   request: u32 id, u8 op name length, op name (latin1), u32 payload length, payload
 *   answer:  u32 id, u8 status (0 ok, 1 error), u32 payload length, payload
 *
 * Payloads are runtime/wire/kvs-codec.ts's (compact or structured clone). docs/protocol.md has the same.
 */
export const BATCH_MARKER = Buffer.alloc(0);

/** A batch never grows past this many bytes (larger requests travel alone), far below any socket's ZMQ_MAXMSGSIZE; the server drops a larger one. */
export const MAX_BATCH_BYTES = 256 * 1024;
/** A payload this large (or larger) travels in its own message, not copied into a batch. */
export const ALONE_BYTES = 16 * 1024;

export const STATUS_OK = 0;
export const STATUS_ERROR = 1;

export interface RequestEntry {
  id: number;
  op: string;
  /** The payload is `packed[start, end)`. */
  start: number;
  end: number;
}

export interface AnswerEntry {
  id: number;
  ok: boolean;
  start: number;
  end: number;
}

/** Bytes a request takes in a batch. */
export function requestBytes(op: string, payload: Buffer): number {
  return 9 + op.length + payload.length;
}

/** Packs requests (op names are ASCII, under 256 characters). */
export function packRequests(requests: ReadonlyArray<{ id: number; op: string; payload: Buffer }>, totalBytes: number): Buffer {
  const packed = Buffer.allocUnsafe(totalBytes);
  let at = 0;
  for (const { id, op, payload } of requests) {
    packed.writeUInt32BE(id, at);
    packed[at + 4] = op.length;
    packed.write(op, at + 5, op.length, "latin1");
    at += 5 + op.length;
    packed.writeUInt32BE(payload.length, at);
    payload.copy(packed, at + 4);
    at += 4 + payload.length;
  }
  return packed;
}

/** The requests of a batch, or a string saying why it is malformed (then none of it is used). */
export function unpackRequests(packed: Buffer): RequestEntry[] | string {
  const entries: RequestEntry[] = [];
  const length = packed.length;
  let at = 0;
  while (at < length) {
    if (at + 5 > length) return `truncated at byte ${at}`;
    const id = packed.readUInt32BE(at);
    const opLength = packed[at + 4]!;
    const opEnd = at + 5 + opLength;
    if (opEnd + 4 > length) return `truncated at byte ${at}`;
    const end = opEnd + 4 + packed.readUInt32BE(opEnd);
    if (end > length) return `truncated at byte ${at}`;
    entries.push({ id, op: packed.toString("latin1", at + 5, opEnd), start: opEnd + 4, end });
    at = end;
  }
  return entries.length > 0 ? entries : "empty";
}

/** Collects answers, then packs them into one buffer. */
export class AnswerPacker {
  #ids: number[] = [];
  #statuses: number[] = [];
  #payloads: Buffer[] = [];
  #bytes = 0;

  get count(): number {
    return this.#ids.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(id: number, ok: boolean, payload: Buffer): void {
    this.#ids.push(id);
    this.#statuses.push(ok ? STATUS_OK : STATUS_ERROR);
    this.#payloads.push(payload);
    this.#bytes += 9 + payload.length;
  }

  /** The packed answers; the packer is empty again. */
  take(): Buffer {
    const packed = Buffer.allocUnsafe(this.#bytes);
    let at = 0;
    for (let i = 0; i < this.#ids.length; i++) {
      const payload = this.#payloads[i]!;
      packed.writeUInt32BE(this.#ids[i]!, at);
      packed[at + 4] = this.#statuses[i]!;
      packed.writeUInt32BE(payload.length, at + 5);
      payload.copy(packed, at + 9);
      at += 9 + payload.length;
    }
    this.#ids = [];
    this.#statuses = [];
    this.#payloads = [];
    this.#bytes = 0;
    return packed;
  }
}

/** The answers of a batch, or a string saying why it is malformed. */
export function unpackAnswers(packed: Buffer): AnswerEntry[] | string {
  const entries: AnswerEntry[] = [];
  const length = packed.length;
  let at = 0;
  while (at < length) {
    if (at + 9 > length) return `truncated at byte ${at}`;
    const end = at + 9 + packed.readUInt32BE(at + 5);
    if (end > length) return `truncated at byte ${at}`;
    entries.push({ id: packed.readUInt32BE(at), ok: packed[at + 4] === STATUS_OK, start: at + 9, end });
    at = end;
  }
  return entries;
}

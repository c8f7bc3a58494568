/**
 * How a batch of jobs or results travels: `[command, JSON of the items minus their payloads,
 * blob]`. The payloads (encoded arguments, return values) are concatenated into the blob; each
 * item's header says how many bytes of it are its own (`bytes`, -1 for none). One frame however
 * many items: zeromq.js pays per frame, and one buffer per batch keeps no per-job buffer alive.
 * The receiver's payloads are views into the blob, never copies.
 */

/** A batch about this big (headers and payloads) is full: no frame nears the message limit. */
export const BATCH_BYTES = 1024 * 1024;

/**
 * Gathers items one by one, writing each header and payload straight into the batch's two
 * buffers, so no per-item string or buffer lives on until the batch is sent (a million queued
 * jobs once left a million small strings and buffers for the collector to promote); `frames` packs
 * them.
 */
export class BatchBuilder {
  #count = 0;
  #headers = new GrowingBuffer();
  #payloads = new GrowingBuffer();

  get length(): number {
    return this.#count;
  }

  /** Whether it has reached BATCH_BYTES. */
  get full(): boolean {
    return this.#headers.length + this.#payloads.length >= BATCH_BYTES;
  }

  /** Whether a payload of `bytes` belongs in a batch of its own (after this one), so a frame holds at most one large payload. */
  overflows(bytes: number): boolean {
    return this.#count > 0 && (this.full || this.#headers.length + this.#payloads.length + bytes > BATCH_BYTES);
  }

  /** Adds an item; a string payload is written as UTF-8. */
  add(header: object, payload: Uint8Array | string | undefined): void {
    const bytes = payload === undefined ? -1 : this.#payloads.write(payload);
    this.#headers.write(this.#count++ === 0 ? "[" : ",");
    this.#headers.write(JSON.stringify({ ...header, bytes }));
  }

  frames(command: string): Buffer[] {
    if (this.#count === 0) this.#headers.write("[");
    this.#headers.write("]");
    return [Buffer.from(command), this.#headers.bytes(), this.#payloads.bytes()];
  }
}

/** Bytes appended to a buffer that doubles when full (from 4 KiB: a lone job's batch stays small). */
class GrowingBuffer {
  #buffer = Buffer.allocUnsafe(0);
  length = 0;

  /** Appends `data`; returns how many bytes that took. */
  write(data: Uint8Array | string): number {
    const most = typeof data === "string" ? data.length * 3 : data.byteLength;
    if (this.length + most > this.#buffer.length) this.#grow(this.length + most);
    const written = typeof data === "string" ? this.#buffer.write(data, this.length) : (this.#buffer.set(data, this.length), data.byteLength);
    this.length += written;
    return written;
  }

  bytes(): Buffer {
    return this.#buffer.subarray(0, this.length);
  }

  #grow(needed: number): void {
    let size = Math.max(4096, this.#buffer.length * 2);
    while (size < needed) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.#buffer.copy(bigger, 0, 0, this.length);
    this.#buffer = bigger;
  }
}

/** The messages that carry `items`: one, or one per ~BATCH_BYTES (a large payload travels alone). */
export function packBatches<T extends object, K extends keyof T>(command: string, items: readonly T[], payloadKey: K): Buffer[][] {
  const messages: Buffer[][] = [];
  let builder = new BatchBuilder();
  for (const item of items) {
    const { [payloadKey]: payload, ...header } = item;
    const bytes = (payload as Uint8Array | undefined)?.byteLength ?? 0;
    if (builder.overflows(bytes)) {
      messages.push(builder.frames(command));
      builder = new BatchBuilder();
    }
    builder.add(header, payload as Uint8Array | undefined);
  }
  if (builder.length > 0 || messages.length === 0) messages.push(builder.frames(command));
  return messages;
}

/**
 * The items of a batch (`frames` from its JSON frame on), each payload a view into the blob; a
 * missing payload is `undefined`. Throws on a malformed batch: not JSON, not a list, or sizes that
 * do not add up to the blob.
 */
export function unpackBatch<T extends object>(frames: Buffer[], start: number, payloadKey: keyof T): T[] {
  const json = frames[start];
  const blob = frames[start + 1];
  if (!json || !blob || frames.length !== start + 2) throw new Error(`batch of ${frames.length - start} frames, expected 2 (header, payloads)`);
  const items = JSON.parse(json.toString()) as (T & { bytes?: unknown })[];
  if (!Array.isArray(items)) throw new Error("batch header is not a list");
  let offset = 0;
  for (const item of items) {
    if (typeof item !== "object" || item === null) throw new Error("batch item is not an object");
    const bytes = item.bytes;
    if (typeof bytes !== "number" || !Number.isInteger(bytes) || bytes < -1 || offset + bytes > blob.length) throw new Error("batch item has a bad payload size");
    delete item.bytes;
    if (bytes >= 0) {
      (item as Record<keyof T, unknown>)[payloadKey] = blob.subarray(offset, offset + bytes);
      offset += bytes;
    }
  }
  if (offset !== blob.length) throw new Error(`batch payloads take ${offset} of the blob's ${blob.length} bytes`);
  return items;
}

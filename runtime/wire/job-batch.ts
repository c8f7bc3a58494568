/**
 * How a batch of jobs or results travels: `[command, JSON {"items":[…],"sizes":[…]}, blob]`. The
 * payloads (encoded arguments, return values) are concatenated into the blob; `sizes[i]` says how
 * many bytes of it are item i's (-1 for none). One frame however many items: zeromq.js pays per
 * frame, and one buffer per batch keeps no per-job buffer alive. The receiver's payloads are views
 * into the blob, never copies.
 *
 * Sizes travel beside the items, not in them: an item copied to add its size (`{ ...item, bytes }`)
 * and stripped of it on arrival (`delete`) cost V8 a clone per job that it promoted to the old
 * generation (left to the major collector: BENCHMARKS.md, "Figures behind choices in the code")
 * and a dictionary-mode object per job.
 */

const ITEMS_OPEN = '{"items":[';
const SIZES_OPEN = '],"sizes":[';
const CLOSE = "]}";

/**
 * A batch about this big (headers and payloads) is full. Small enough that a batch's parts (item
 * strings, arrays, buffers) die young in the sender and the receiver: at 1 MiB they outlived
 * young-generation collections and were left to the major collector, which the host's memory per
 * queued job showed (BENCHMARKS.md); large enough that per-message costs do not show, and far
 * from the message limit.
 */
export const BATCH_BYTES = 128 * 1024;

/**
 * Gathers items one by one: payloads are written straight into the blob, so no per-item buffer
 * lives on until the batch is sent; the items' JSON is kept as strings and joined once at the end
 * (more jobs per second than writing each into a growing buffer: BENCHMARKS.md).
 */
export class BatchBuilder {
  #sizes: number[] = [];
  #headers: string[] = [];
  #headerChars = 0;
  #payloads = new GrowingBuffer();

  get length(): number {
    return this.#sizes.length;
  }

  /** Whether it has reached BATCH_BYTES. */
  get full(): boolean {
    return this.#headerChars + this.#payloads.length >= BATCH_BYTES;
  }

  /** Whether a payload of `bytes` belongs in a batch of its own (after this one), so a frame holds at most one large payload. */
  overflows(bytes: number): boolean {
    return this.length > 0 && (this.full || this.#headerChars + this.#payloads.length + bytes > BATCH_BYTES);
  }

  /** Adds an item: its header's JSON (runtime/wire/job-json.ts) and its payload (a string is written as UTF-8). */
  add(json: string, payload: Uint8Array | string | undefined): void {
    this.#sizes.push(payload === undefined ? -1 : this.#payloads.write(payload));
    this.#headers.push(json);
    this.#headerChars += json.length + 1;
  }

  frames(command: string): (Buffer | string)[] {
    // Written piece by piece into bytes: as one string, the header would be a concatenation that
    // V8 flattens into a copy (born in the old generation) the moment its size is asked for, one
    // per batch, each left to the major collector (BENCHMARKS.md).
    const items = this.#headers.join(",");
    const sizes = this.#sizes.join(",");
    const header = Buffer.allocUnsafe(ITEMS_OPEN.length + Buffer.byteLength(items) + SIZES_OPEN.length + sizes.length + CLOSE.length);
    let at = header.write(ITEMS_OPEN);
    at += header.write(items, at);
    at += header.write(SIZES_OPEN, at);
    at += header.write(sizes, at, "latin1");
    header.write(CLOSE, at);
    return [command, header, this.#payloads.bytes()];
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
    const written =
      typeof data === "string" ? this.#buffer.write(data, this.length) : (this.#buffer.set(data, this.length), data.byteLength);
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

/**
 * The messages that carry `items`: one, or one per ~BATCH_BYTES (a large payload travels alone).
 * `json` writes an item's header, which leaves its payload (`payloadKey`) out.
 */
export function packBatches<T extends object, K extends keyof T>(
  command: string,
  items: readonly T[],
  payloadKey: K,
  json: (item: T) => string,
): (Buffer | string)[][] {
  const messages: (Buffer | string)[][] = [];
  let builder = new BatchBuilder();
  for (const item of items) {
    const payload = item[payloadKey] as Uint8Array | undefined;
    if (builder.overflows(payload?.byteLength ?? 0)) {
      messages.push(builder.frames(command));
      builder = new BatchBuilder();
    }
    builder.add(json(item), payload);
  }
  if (builder.length > 0 || messages.length === 0) messages.push(builder.frames(command));
  return messages;
}

/** A received batch: its items and, for item i, `sizes[i]` bytes of `blob` (-1: no payload) after those of the items before it. */
export interface ReceivedBatch<T> {
  items: T[];
  sizes: number[];
  blob: Buffer;
}

/**
 * Reads a batch (`frames` from its JSON frame on) without making a view per payload. Throws on a
 * malformed batch: not JSON, no list of objects with a size for each, or sizes that do not add up
 * to the blob.
 */
export function readBatch<T extends object>(frames: Buffer[], start: number): ReceivedBatch<T> {
  const json = frames[start];
  const blob = frames[start + 1];
  if (!json || !blob || frames.length !== start + 2)
    throw new Error(`batch of ${frames.length - start} frames, expected 2 (header, payloads)`);
  const { items, sizes } = (JSON.parse(json.toString()) ?? {}) as { items?: unknown; sizes?: unknown };
  if (!Array.isArray(items) || !Array.isArray(sizes)) throw new Error("batch header is not {items, sizes}");
  if (items.length !== sizes.length) throw new Error(`batch of ${items.length} items has ${sizes.length} sizes`);
  let offset = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as unknown;
    const bytes = sizes[i] as unknown;
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw new Error("batch item is not an object");
    if (typeof bytes !== "number" || !Number.isInteger(bytes) || bytes < -1 || offset + bytes > blob.length)
      throw new Error("batch item has a bad payload size");
    if (bytes > 0) offset += bytes;
  }
  if (offset !== blob.length) throw new Error(`batch payloads take ${offset} of the blob's ${blob.length} bytes`);
  return { items: items as T[], sizes: sizes as number[], blob };
}

/** The items of a batch (see readBatch), each with its payload as a view into the blob under `payloadKey` (none: undefined). */
export function unpackBatch<T extends object>(frames: Buffer[], start: number, payloadKey: keyof T): T[] {
  const { items, sizes, blob } = readBatch<T>(frames, start);
  let offset = 0;
  for (let i = 0; i < items.length; i++) {
    const bytes = sizes[i]!;
    if (bytes < 0) continue;
    (items[i] as Record<keyof T, unknown>)[payloadKey] = blob.subarray(offset, offset + bytes);
    offset += bytes;
  }
  return items;
}

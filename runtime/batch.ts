/**
 * How a batch of jobs or results travels: `[command, JSON of the items minus their payloads,
 * blob]`. The payloads (encoded arguments, return values) are concatenated into the blob; each
 * item's header says how many bytes of it are its own (`bytes`, -1 for none). One frame however
 * many items: zeromq.js pays per frame, and one buffer per batch keeps no per-job buffer alive.
 * The receiver's payloads are views into the blob, never copies.
 */

/** A batch about this big (headers and payloads) is full: no frame nears the message limit. */
export const BATCH_BYTES = 1024 * 1024;

/** Gathers items one by one; `frames` packs them. */
export class BatchBuilder {
  #count = 0;
  #headers: string[] = [];
  #payloads: Uint8Array[] = [];
  #payloadBytes = 0;
  #headerBytes = 0;

  get length(): number {
    return this.#count;
  }

  /** Whether it has reached BATCH_BYTES. */
  get full(): boolean {
    return this.#headerBytes + this.#payloadBytes >= BATCH_BYTES;
  }

  /** Whether a payload of `bytes` belongs in a batch of its own (after this one), so a frame holds at most one large payload. */
  overflows(bytes: number): boolean {
    return this.#count > 0 && (this.full || this.#headerBytes + this.#payloadBytes + bytes > BATCH_BYTES);
  }

  add(header: object, payload: Uint8Array | undefined): void {
    const bytes = payload === undefined ? -1 : payload.byteLength;
    const text = JSON.stringify({ ...header, bytes });
    this.#headers.push(text);
    this.#headerBytes += text.length + 1;
    this.#count++;
    if (bytes > 0) {
      this.#payloads.push(payload!);
      this.#payloadBytes += bytes;
    }
    // Full: one string and one buffer instead of a small one per item, while it waits to be sent.
    if (this.full) {
      this.#headers = [this.#headers.join(",")];
      this.#payloads = [Buffer.concat(this.#payloads, this.#payloadBytes)];
    }
  }

  frames(command: string): Buffer[] {
    return [Buffer.from(command), Buffer.from(`[${this.#headers.join(",")}]`), Buffer.concat(this.#payloads, this.#payloadBytes)];
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

/**
 * How a batch of jobs or results travels: `[command, JSON of the items minus their payloads,
 * payload_0, …, payload_n-1]`. Payloads (encoded arguments, return values) ride as frames of
 * their own, so the broker routes them without decoding or copying them.
 */
export function packBatch<T extends object, K extends keyof T>(command: string, items: readonly T[], payloadKey: K): Buffer[] {
  const headers = new Array<Omit<T, K>>(items.length);
  const frames = new Array<Buffer>(items.length + 2);
  for (let i = 0; i < items.length; i++) {
    const { [payloadKey]: payload, ...header } = items[i]!;
    headers[i] = header as Omit<T, K>;
    frames[i + 2] = payload === undefined ? EMPTY : asBuffer(payload as Uint8Array);
  }
  frames[0] = Buffer.from(command);
  frames[1] = Buffer.from(JSON.stringify(headers));
  return frames;
}

/**
 * The items of a batch (`frames` from its JSON frame on). An empty payload frame is `undefined`.
 * Throws on a malformed batch: not JSON, not a list, or a count that does not match the frames.
 */
export function unpackBatch<T extends object>(frames: Buffer[], start: number, payloadKey: keyof T): T[] {
  const json = frames[start];
  if (!json) throw new Error("batch without a header frame");
  const items = JSON.parse(json.toString()) as T[];
  if (!Array.isArray(items) || items.length !== frames.length - start - 1) {
    throw new Error(`batch header lists ${Array.isArray(items) ? items.length : "no"} items for ${frames.length - start - 1} payload frames`);
  }
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item !== "object" || item === null) throw new Error("batch item is not an object");
    const payload = frames[start + 1 + i]!;
    (item as Record<keyof T, unknown>)[payloadKey] = payload.length === 0 ? undefined : payload;
  }
  return items;
}

const EMPTY = Buffer.alloc(0);
const asBuffer = (bytes: Uint8Array) => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

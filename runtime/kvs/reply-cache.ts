/**
 * Recent answers to requests that change the store, by client and request id. A client that got
 * no answer in time sends the same request again; answering it from here keeps a resent append
 * (or pop, or flush) from being applied twice. Bounded in entries and in bytes.
 */
export class ReplyCache {
  #entries = new Map<string, Buffer[]>();
  #bytes = 0;
  #maxEntries: number;
  #maxBytes: number;

  constructor(maxEntries = 4096, maxBytes = 16 * 1024 * 1024) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  static key(client: Buffer, requestId: Buffer): string {
    return `${client.toString("hex")}:${requestId.toString("hex")}`;
  }

  get(key: string): Buffer[] | undefined {
    return this.#entries.get(key);
  }

  set(key: string, reply: Buffer[]): void {
    this.#entries.set(key, reply);
    this.#bytes += size(reply);
    while (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const [oldest, frames] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      this.#bytes -= size(frames);
    }
  }
}

const size = (frames: Buffer[]) => frames.reduce((sum, frame) => sum + frame.length, 0);

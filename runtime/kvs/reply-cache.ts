/** One request's answer, as the server sends it. */
export interface Answer {
  ok: boolean;
  bytes: Buffer;
}

/** What an entry costs besides its bytes (the key, the Map slot, the objects), roughly. */
const ENTRY_OVERHEAD_BYTES = 96;

/**
 * Recent answers to requests that change the store, by request id and client. A client that got
 * no answer in time sends the same request again; answering it from here keeps a resent append
 * (or pop, or flush) from being applied twice. Bounded in entries and in bytes.
 */
export class ReplyCache {
  #entries = new Map<string, Answer>();
  #bytes = 0;
  #maxEntries: number;
  #maxBytes: number;

  constructor(maxEntries = 4096, maxBytes = 16 * 1024 * 1024) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  /** `requestId`: the u32 id (or, from a client that sends other ids, a string of its bytes); `client`: the routing id as latin1. */
  static key(requestId: number | string, client: string): string {
    return `${requestId}:${client}`;
  }

  get(key: string): Answer | undefined {
    return this.#entries.get(key);
  }

  set(key: string, answer: Answer): void {
    this.#entries.set(key, answer);
    this.#bytes += answer.bytes.length + ENTRY_OVERHEAD_BYTES;
    while (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const [oldest, evicted] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      this.#bytes -= evicted.bytes.length + ENTRY_OVERHEAD_BYTES;
    }
  }
}

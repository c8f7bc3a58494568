/** One request's answer, as the server sends it. */
export interface Answer {
  ok: boolean;
  bytes: Buffer;
}

/** What an entry costs besides its bytes (map slots, the answer object), roughly. */
const ENTRY_OVERHEAD_BYTES = 96;

/** One client's kept answers, by request id. */
export type ClientAnswers = Map<number | string, Answer>;

/**
 * Recent answers to requests that change the store, by client and request id. A client that got
 * no answer in time sends the same request again; answering it from here keeps a resent append
 * (or pop, or flush) from being applied twice. Bounded in entries and in bytes: the oldest go
 * first (a ring of what was added, so keeping one costs no allocation beyond its map slot).
 */
export class ReplyCache {
  #clients = new Map<string, ClientAnswers>();
  #ringName: (string | undefined)[];
  #ringClient: (ClientAnswers | undefined)[];
  #ringKey: (number | string | undefined)[];
  #ringBytes: number[];
  #oldest = 0;
  #count = 0;
  #bytes = 0;
  #maxBytes: number;

  constructor(maxEntries = 4096, maxBytes = 16 * 1024 * 1024) {
    this.#ringName = new Array(maxEntries);
    this.#ringClient = new Array(maxEntries);
    this.#ringKey = new Array(maxEntries);
    this.#ringBytes = new Array<number>(maxEntries).fill(0);
    this.#maxBytes = maxBytes;
  }

  /** The answers kept for `client` (its routing id, latin1); a new, empty map (registered by `set`) if none. */
  of(client: string): ClientAnswers {
    return this.#clients.get(client) ?? new Map();
  }

  /** Keeps `answer` to request `requestId` of the client whose answers `of` gave. */
  set(client: string, answers: ClientAnswers, requestId: number | string, answer: Answer): void {
    const capacity = this.#ringKey.length;
    if (this.#count === capacity) this.#evictOldest(); // the ring is full: its slot goes first
    const size = answer.bytes.length + ENTRY_OVERHEAD_BYTES;
    if (answers.size === 0) this.#clients.set(client, answers); // new, or emptied and dropped since `of`
    answers.set(requestId, answer);
    const slot = (this.#oldest + this.#count) % capacity;
    this.#ringName[slot] = client;
    this.#ringClient[slot] = answers;
    this.#ringKey[slot] = requestId;
    this.#ringBytes[slot] = size;
    this.#count++;
    this.#bytes += size;
    while (this.#bytes > this.#maxBytes && this.#count > 0) this.#evictOldest();
  }

  #evictOldest(): void {
    const slot = this.#oldest;
    const answers = this.#ringClient[slot]!;
    answers.delete(this.#ringKey[slot]!);
    const name = this.#ringName[slot]!;
    if (answers.size === 0 && this.#clients.get(name) === answers) this.#clients.delete(name);
    this.#bytes -= this.#ringBytes[slot]!;
    this.#ringName[slot] = this.#ringClient[slot] = this.#ringKey[slot] = undefined;
    this.#oldest = (slot + 1) % this.#ringKey.length;
    this.#count--;
  }
}

/**
 * Every `stride`-th item of a stream of unknown length, kept to at most `limit`: when the kept
 * items reach the limit, every other one is dropped and the stride doubles. What stays is evenly
 * spread over the whole stream (items 0, s, 2s, …), in order, and memory stays bounded however long
 * the stream is.
 */
export class EvenSample<T> {
  #items: T[] = [];
  #stride = 1;
  #seen = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 2) throw new RangeError(`limit must be an integer >= 2, got ${limit}`);
  }

  add(item: T): void {
    if (this.#seen++ % this.#stride !== 0) return;
    this.#items.push(item);
    if (this.#items.length < this.limit) return;
    this.#items = this.#items.filter((_, i) => i % 2 === 0);
    this.#stride *= 2;
  }

  /** The kept items, in the order they came. */
  get items(): readonly T[] {
    return this.#items;
  }

  /** How many items came in all. */
  get seen(): number {
    return this.#seen;
  }
}

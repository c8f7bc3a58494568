/**
 * A first-in first-out buffer of finished jobs (QueueManager's, for getResults and results()).
 * When full it grows once to hold every job still expected, not by half again each time: a million
 * results in a pushed-to array left ~2× its final size in outgrown copies for the major collector,
 * at the host's peak (BENCHMARKS.md, "Figures behind choices in the code").
 */
export class ResultBuffer<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  #tail = 0;

  get length(): number {
    return this.#tail - this.#head;
  }

  /** Appends `item`; `expected` is how many more may follow (the room made when it must grow). */
  push(item: T, expected: number): void {
    if (this.#tail === this.#items.length) this.#grow(expected + 1);
    this.#items[this.#tail++] = item;
  }

  /** The oldest item, removed; undefined when empty. */
  shift(): T | undefined {
    if (this.#head === this.#tail) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#tail) this.#clear();
    return item;
  }

  /**
   * Every item, oldest first, as an array the caller owns; the buffer is left empty. A mostly
   * full array is handed over, trimmed in place; from a mostly empty one the items are copied
   * out and it is kept, so taking a few results at a time costs what they cost.
   */
  takeAll(): T[] {
    if (this.#head === 0 && 2 * this.#tail >= this.#items.length) {
      const items = this.#items;
      items.length = this.#tail;
      this.#items = [];
      this.#clear();
      return items as T[];
    }
    const items = this.#items.slice(this.#head, this.#tail) as T[];
    this.#items.fill(undefined, this.#head, this.#tail);
    this.#clear();
    return items;
  }

  #grow(room: number): void {
    const length = this.length;
    const items = new Array<T | undefined>(length + Math.max(room, length >> 1, 16));
    for (let i = 0; i < length; i++) items[i] = this.#items[this.#head + i];
    this.#items = items;
    this.#head = 0;
    this.#tail = length;
  }

  #clear(): void {
    this.#head = 0;
    this.#tail = 0;
  }
}

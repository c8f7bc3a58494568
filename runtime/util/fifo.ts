/** Past this many shifted items, a mostly consumed array is copied down to what is left. */
const SHED_AFTER = 4096;

/**
 * A first-in first-out queue (the broker's jobs, the jobs a worker holds, messages read off a
 * socket, the QueueManager's finished jobs) that shifts in O(1) and whose memory follows the backlog. It grows by half again,
 * or at once by as many as the caller expects: a million results pushed into an array that grew by
 * half each time left about twice their size in outgrown copies for the major collector
 * (BENCHMARKS.md, "Figures behind choices in the code").
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  #tail = 0;

  get length(): number {
    return this.#tail - this.#head;
  }

  /** Appends `item`; `expected` is how many more may follow (the room made when it must grow). */
  push(item: T, expected = 0): void {
    if (this.#tail === this.#items.length) this.#grow(expected + 1);
    this.#items[this.#tail++] = item;
  }

  /** Puts items back at the front, in their order (jobs a lost worker held). */
  unshift(items: T[]): void {
    if (items.length === 0) return;
    if (this.#head >= items.length) {
      this.#head -= items.length;
      for (let i = 0; i < items.length; i++) this.#items[this.#head + i] = items[i];
    } else {
      this.#items = [...items, ...this.#items.slice(this.#head, this.#tail)];
      this.#head = 0;
      this.#tail = this.#items.length;
    }
  }

  /** The oldest item, left in place; undefined when empty. */
  get first(): T | undefined {
    return this.#head === this.#tail ? undefined : this.#items[this.#head];
  }

  /** The oldest item, removed; undefined when empty. */
  shift(): T | undefined {
    if (this.#head === this.#tail) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#tail) this.#clear();
    else if (this.#head > SHED_AFTER && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head, this.#tail);
      this.#head = 0;
      this.#tail = this.#items.length;
    }
    return item;
  }

  /** Removes and returns the oldest item that `matches`, or undefined: O(1) when it is the first. */
  take(matches: (item: T) => boolean): T | undefined {
    if (this.#head === this.#tail) return undefined;
    if (matches(this.#items[this.#head] as T)) return this.shift();
    for (let i = this.#head + 1; i < this.#tail; i++) {
      const item = this.#items[i] as T;
      if (!matches(item)) continue;
      this.#items.copyWithin(i, i + 1, this.#tail);
      this.#items[--this.#tail] = undefined;
      return item;
    }
    return undefined;
  }

  /** Every item, oldest first, as a copy; the queue is left as it is. */
  toArray(): T[] {
    return this.#items.slice(this.#head, this.#tail) as T[];
  }

  /** Removes and returns every item that `matches`, in one pass, keeping the others' order. */
  removeAll(matches: (item: T) => boolean): T[] {
    const removed: T[] = [];
    const kept: (T | undefined)[] = [];
    for (let i = this.#head; i < this.#tail; i++) {
      const item = this.#items[i] as T;
      (matches(item) ? removed : kept).push(item);
    }
    if (removed.length > 0) {
      this.#items = kept;
      this.#head = 0;
      this.#tail = kept.length;
    }
    return removed;
  }

  /**
   * Every item, oldest first, as an array the caller owns; the queue is left empty. A mostly
   * full array is handed over, trimmed in place; from a mostly empty one the items are copied
   * out and it is kept, so taking a few items at a time costs what they cost.
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

  /** Empty: the next item goes at the front again, in the array already made. */
  #clear(): void {
    this.#head = 0;
    this.#tail = 0;
  }
}

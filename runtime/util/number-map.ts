const PAGE_SIZE = 1024;
/** Division, not bit shifts: keys may pass 2^32 (a long-lived process's job numbers). */
const pageOf = (key: number) => Math.floor(key / PAGE_SIZE);

interface Page<V> {
  slots: (V | undefined)[];
  count: number;
}

/**
 * A map from positive integers to values, for keys that come mostly in runs (job numbers): pages
 * of 1,024 slots, each freed when its last entry goes. A slot (one pointer) an entry, a fraction
 * of a Map's, and no table to rehash (a Map of a million jobs leaves its outgrown tables to the
 * major collector each time it grows). Figures: BENCHMARKS.md, "Figures behind choices in the code".
 */
export class NumberMap<V> {
  #pages = new Map<number, Page<V>>();
  /** The page last emptied, for the next one needed: a job at a time would make and drop 8 KiB each. */
  #spare: Page<V> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(key: number): V | undefined {
    return this.#pages.get(pageOf(key))?.slots[key % PAGE_SIZE];
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  /** Sets `key` to `value` (never undefined). */
  set(key: number, value: V): void {
    const index = pageOf(key);
    let page = this.#pages.get(index);
    if (!page) {
      page = this.#spare ?? { slots: new Array<V | undefined>(PAGE_SIZE).fill(undefined), count: 0 };
      this.#spare = undefined;
      this.#pages.set(index, page);
    }
    const slot = key % PAGE_SIZE;
    if (page.slots[slot] === undefined) {
      page.count++;
      this.#size++;
    }
    page.slots[slot] = value;
  }

  delete(key: number): boolean {
    const index = pageOf(key);
    const page = this.#pages.get(index);
    const slot = key % PAGE_SIZE;
    if (page?.slots[slot] === undefined) return false;
    page.slots[slot] = undefined;
    this.#size--;
    if (--page.count === 0) {
      this.#pages.delete(index);
      this.#spare = page; // every slot is undefined again
    }
    return true;
  }

  /** The keys, page by page: ascending within a page, pages in the order they were made. */
  *keys(): IterableIterator<number> {
    for (const [index, page] of this.#pages) {
      for (let slot = 0; slot < PAGE_SIZE; slot++) if (page.slots[slot] !== undefined) yield index * PAGE_SIZE + slot;
    }
  }
}

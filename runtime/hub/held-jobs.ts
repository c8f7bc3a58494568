/**
 * The jobs a worker holds, in the order it runs them. Results come back in that order, so taking
 * one out is O(1) in the usual case.
 */
export class HeldJobs<T extends { id: string }> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The job the worker runs now. */
  get running(): T | undefined {
    return this.#items[this.#head];
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Removes and returns the job with `id`, or undefined if the worker does not hold it. */
  take(id: string): T | undefined {
    const head = this.#items[this.#head];
    if (head?.id === id) {
      this.#head++;
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
      }
      return head;
    }
    const index = this.#items.findIndex((item, i) => i >= this.#head && item.id === id);
    return index < 0 ? undefined : this.#items.splice(index, 1)[0];
  }

  /** Removes and returns the jobs that `matches`, keeping the others' order. */
  drainMatching(matches: (item: T) => boolean): T[] {
    const taken: T[] = [];
    const kept: T[] = [];
    for (let i = this.#head; i < this.#items.length; i++) (matches(this.#items[i]!) ? taken : kept).push(this.#items[i]!);
    if (taken.length > 0) {
      this.#items = kept;
      this.#head = 0;
    }
    return taken;
  }

  /** Everything held, in order, leaving nothing. */
  drain(): T[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return items;
  }
}

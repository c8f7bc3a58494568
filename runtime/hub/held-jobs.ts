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

  /** Everything held, in order (a copy). */
  all(): T[] {
    return this.#items.slice(this.#head);
  }

  /** Everything held, in order, leaving nothing. */
  drain(): T[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return items;
  }
}

import { Fifo } from "../util/fifo.js";

/**
 * Jobs waiting for a worker: the highest priority first, FIFO among equals. One Fifo per priority
 * in use, so the usual case (every job at priority 0) costs what a plain Fifo costs.
 */
export class PriorityQueue<T> {
  #priorityOf: (item: T) => number;
  #levels = new Map<number, Fifo<T>>();
  /** Priorities with waiting items, highest first. */
  #order: number[] = [];
  #length = 0;

  constructor(priorityOf: (item: T) => number) {
    this.#priorityOf = priorityOf;
  }

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    this.#level(this.#priorityOf(item)).push(item);
    this.#length++;
  }

  /** Puts items back at the front of their priority, in their order (jobs a lost worker held). */
  unshift(items: T[]): void {
    for (let i = items.length - 1; i >= 0; i--) this.#level(this.#priorityOf(items[i]!)).unshift([items[i]!]);
    this.#length += items.length;
  }

  shift(): T | undefined {
    const priority = this.#order[0];
    if (priority === undefined) return undefined;
    const fifo = this.#levels.get(priority)!;
    const item = fifo.shift()!;
    this.#length--;
    if (fifo.length === 0) this.#drop(priority);
    return item;
  }

  /** Removes and returns every item that `matches` (one pass over the queue: for cancellations). */
  removeAll(matches: (item: T) => boolean): T[] {
    const removed: T[] = [];
    for (const priority of [...this.#order]) {
      const fifo = this.#levels.get(priority)!;
      const taken = fifo.removeAll(matches);
      if (taken.length === 0) continue;
      removed.push(...taken);
      this.#length -= taken.length;
      if (fifo.length === 0) this.#drop(priority);
    }
    return removed;
  }

  /** Forgets an empty level, so priorities used once do not slow every shift. */
  #drop(priority: number): void {
    this.#levels.delete(priority);
    this.#order.splice(this.#order.indexOf(priority), 1);
  }

  #level(priority: number): Fifo<T> {
    let fifo = this.#levels.get(priority);
    if (!fifo) {
      this.#levels.set(priority, (fifo = new Fifo<T>()));
      this.#order.push(priority);
      this.#order.sort((a, b) => b - a);
    }
    return fifo;
  }
}

import { Fifo } from "../util/fifo.js";

/** Messages pushed by event handlers, read with `for await` (as a zeromq socket is read); ends at `end()`. */
export class MessageStream implements AsyncIterable<Buffer[]> {
  #queue = new Fifo<Buffer[]>();
  #wake?: () => void;
  #ended = false;

  push(frames: Buffer[]): void {
    this.#queue.push(frames);
    this.#wakeReader();
  }

  end(): void {
    this.#ended = true;
    this.#wakeReader();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer[], undefined> {
    for (;;) {
      while (this.#queue.length === 0) {
        if (this.#ended) return undefined;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
      yield this.#queue.shift()!;
    }
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/**
 * A line kept at the bottom of a terminal while other output scrolls above it, as terminal progress
 * libraries do: every write to stdout or stderr first clears it, and a write that ends a line
 * draws it again. The writes are caught at the streams (their `write` is wrapped until `close`),
 * so they are all covered: main's console.log, strmbrkr's logs and messages, and the children's
 * output, which reaches the terminal through this process while it is one (runtime/transport/children.ts).
 */
export class StatusLine {
  #text = "";
  #drawn = false;
  /** A write left the cursor mid-line: drawing now would glue the status to it. */
  #midLine = false;
  readonly #write: (text: string) => boolean;
  readonly #restore: (() => void)[] = [];

  /** `tty` shows the line; `others` (e.g. stdout) are watched too when they are terminals. */
  constructor(tty: NodeJS.WriteStream = process.stderr, others: NodeJS.WriteStream[] = [process.stdout]) {
    this.#write = tty.write.bind(tty) as (text: string) => boolean;
    for (const stream of new Set([tty, ...others.filter((other) => other.isTTY)])) this.#watch(stream);
  }

  /** Shows `text` as the status (at once unless a line is being written). */
  update(text: string): void {
    this.#text = text;
    if (!this.#midLine) this.#draw();
  }

  /** Clears the status and gives the streams their own `write` back. */
  close(): void {
    this.#clear();
    for (const restore of this.#restore.splice(0)) restore();
  }

  #draw(): void {
    this.#write(`\r\x1b[2K${this.#text}`);
    this.#drawn = true;
  }

  #clear(): void {
    if (!this.#drawn) return;
    this.#write("\r\x1b[2K");
    this.#drawn = false;
  }

  #watch(stream: NodeJS.WriteStream): void {
    const write = stream.write;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      this.#clear();
      const result = (write as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      if (text.length > 0) {
        this.#midLine = !text.endsWith("\n");
        if (!this.#midLine && this.#text) this.#draw();
      }
      return result;
    }) as typeof stream.write;
    this.#restore.push(() => (stream.write = write));
  }
}

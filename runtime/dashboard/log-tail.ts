/** Lines kept: what the page's log panel shows. */
const LINES_KEPT = 200;
/** A line longer than this is cut: a runaway line must not fill the page. */
const LINE_CHARS = 2_000;
// CSI sequences (colours, the progress line's "clear line"): the page shows text.
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * The last lines this process writes to stdout and stderr: main's console.log, strmbrkr's log, and
 * the children's lines when they reach the terminal through this process (runtime/transport/children.ts).
 * A carriage return starts the line over, as on a terminal, so the progress line's redraws leave nothing.
 */
export class LogTail {
  readonly #lines: string[] = [];
  #partial = "";
  readonly #restore: (() => void)[] = [];

  constructor(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]) {
    for (const stream of streams) {
      const write = stream.write;
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.#take(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return (write as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
      this.#restore.push(() => (stream.write = write));
    }
  }

  get lines(): string[] {
    return this.#partial ? [...this.#lines, this.#partial] : [...this.#lines];
  }

  close(): void {
    for (const restore of this.#restore.splice(0)) restore();
  }

  #take(text: string): void {
    const parts = (this.#partial + text.replace(ANSI, "")).split("\n");
    this.#partial = lastLine(parts.pop()!).slice(0, LINE_CHARS);
    for (const part of parts) {
      const line = lastLine(part);
      if (line === "") continue;
      if (this.#lines.push(line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS - 1)}…` : line) > LINES_KEPT) this.#lines.shift();
    }
  }
}

/** What a terminal shows of `text`: after its last carriage return. */
const lastLine = (text: string) => text.slice(text.lastIndexOf("\r") + 1);

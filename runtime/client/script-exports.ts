import { pathToFileURL } from "node:url";

export interface ScriptSource {
  /** The script's path, for messages. */
  script?: string;
  /** The export names, known once the host bundled the script. */
  names?: readonly string[];
  /** The bundle this process may import (a worker's), for a lookup made before its entry did. */
  bundlePath?: string;
}

/**
 * The job script's exports as one process knows them, and the one rule for the name a function
 * travels by (a job's, a transaction's): an export's name; in library mode, where the caller
 * imported the script itself, a function whose name is an export's.
 */
export class ScriptExports {
  #source: ScriptSource;
  #exports?: Record<string, unknown>;
  /** Export name by function, built once per exports object: a million jobs look it up a million times. */
  #names?: Map<unknown, string>;

  constructor(source: ScriptSource = {}) {
    this.#source = source;
  }

  /** The script's path once known (bundled in the host, imported in a worker). */
  get script(): string | undefined {
    return this.#source.script;
  }

  /** The exports, where this process imported the script (the CLI's host, a worker). */
  get exports(): Record<string, unknown> | undefined {
    return this.#exports;
  }

  /** The host bundled a script: its path and export names. */
  useBundle(script: string, names: readonly string[]): void {
    this.#source = { ...this.#source, script, names };
  }

  /** This process imported the script. */
  setExports(exports: Record<string, unknown>): void {
    this.#exports = exports;
    this.#names = undefined;
  }

  /**
   * The export name `fn` travels by. Throws TypeError naming `caller` and the script when it is
   * not an export; `kind` says what runs only exported functions ("jobs", "transactions").
   */
  nameOf(fn: ((...args: never[]) => unknown) | string, caller: string, kind: string): string {
    const exports = this.#exports;
    const names = this.#source.names;
    if (typeof fn === "string") {
      // Object.hasOwn, not a list of the keys: this runs for every job queued (twice: checked, then sent).
      if (exports ? Object.hasOwn(exports, fn) : (names?.includes(fn) ?? true)) return fn;
      throw new TypeError(`${caller}: ${fn} is not an export of ${this.#scriptName}`);
    }
    const name = exports ? this.#byValue(exports).get(fn) : names?.includes(fn.name) ? fn.name : undefined;
    if (name !== undefined) return name;
    throw new TypeError(
      `${caller}: function ${fn.name || "<anonymous>"} is not an export of ${this.#scriptName}; ${kind} run exported functions only`,
    );
  }

  /**
   * nameOf, after importing the bundle when this process has not yet (a worker's script calling
   * at its top level): importing it again hands back that same module.
   */
  async nameOfLoaded(fn: ((...args: never[]) => unknown) | string, caller: string, kind: string): Promise<string> {
    if (!this.#exports && this.#source.bundlePath)
      this.setExports((await import(pathToFileURL(this.#source.bundlePath).href)) as Record<string, unknown>);
    return this.nameOf(fn, caller, kind);
  }

  get #scriptName(): string {
    return this.#source.script ?? "the job script";
  }

  #byValue(exports: Record<string, unknown>): Map<unknown, string> {
    if (!this.#names) {
      this.#names = new Map();
      for (const [name, value] of Object.entries(exports))
        if (typeof value === "function" && !this.#names.has(value)) this.#names.set(value, name);
    }
    return this.#names;
  }
}

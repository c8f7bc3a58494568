import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createContext, Script } from "node:vm";
import { TransactionAborted } from "../util/errors.js";
import { getLogger } from "../config/logger.js";
import { PACKAGE_ROOT } from "../util/package-root.js";
import { KVS_TRANSACTION_MAX_RUNS } from "../wire/kvs.js";
import { encode } from "../wire/serialize.js";
import type { Store } from "./store.js";
import { TransactionView } from "./view.js";

const log = getLogger("kvs");
/** Times a transaction stopped by the limit while starved of CPU is run again before it is aborted. */
const MAX_STARVED_RERUNS = KVS_TRANSACTION_MAX_RUNS - 1;

/** A reply already encoded: the server sends it as is. */
export class EncodedReply {
  constructor(readonly bytes: Buffer) {}
}

/** strmbrkr's own code, compiled or (source-mapped) not: its frames are dropped from a transaction's stack. */
const INTERNAL_DIRS = ["dist", "runtime", "stdlib", "cli"].map((dir) => `${join(PACKAGE_ROOT, dir)}/`);

/**
 * Runs exported functions of the job script atomically, on the server's own thread, against a
 * journal of the store (TransactionView), committed only when the function returns normally.
 *
 * A limit: the function runs inside `vm` `Script#runInContext` with `timeout`, whose watchdog
 * thread terminates whatever JavaScript is running when the time is up — our caller's function
 * included, even a `while (true) {}` — and the server goes on. A worker thread would also be
 * interruptible, but the store lives on this thread: every read and write would have to cross
 * threads (a copy each way and a synchronous wait), and terminating the thread mid-operation is
 * no safer than terminating the call. The vm route costs each transaction a thread start (Node
 * starts a watchdog thread per call; BENCHMARKS.md). Async functions are refused before they run: what they do
 * after their first `await` would run outside the limit and outside the transaction.
 */
export class Transactions {
  #store: Store;
  #timeoutMs: number;
  #maxValueBytes: number;
  #bundle?: string;
  #exports?: Record<string, unknown>;
  #loading?: Promise<void>;
  // The timeout applies to a Script run; this one-line script calls the transaction under it.
  #context = createContext({ call: () => {} });
  #script = new Script("call()", { filename: "strmbrkr-transaction" });

  constructor(store: Store, { timeoutMs, maxValueBytes, bundle }: { timeoutMs: number; maxValueBytes: number; bundle?: string }) {
    this.#store = store;
    this.#timeoutMs = timeoutMs;
    this.#maxValueBytes = maxValueBytes;
    this.#bundle = bundle;
  }

  /** The job script's bundle, for a store that started before the host had bundled it. */
  useBundle(path: string): void {
    this.#bundle ??= path;
  }

  /** True once the script is loaded: `run` may then be called without awaiting `load`. */
  get loaded(): boolean {
    return this.#exports !== undefined;
  }

  /** Imports the bundle (its top level runs here, as in every process of the run). */
  load(): Promise<void> {
    if (!this.#bundle) {
      return Promise.reject(
        new TypeError(
          "KeyValueStore.transact: the store has no job script; run one with `strmbrkr run`, or start a WorkerManager with `script` first",
        ),
      );
    }
    this.#loading ??= import(pathToFileURL(this.#bundle).href).then((exports: Record<string, unknown>) => {
      this.#exports = exports;
    });
    return this.#loading;
  }

  /**
   * Runs `exportName(store, ...args)` whole or not at all; returns its encoded result. What it
   * throws carries only the user's own stack frames (source-mapped to the script).
   */
  run(args: unknown[]): EncodedReply {
    try {
      return this.#run(args);
    } catch (error) {
      throw withUserFrames(error);
    }
  }

  #run([name, ...args]: unknown[]): EncodedReply {
    if (typeof name !== "string")
      throw new TypeError(
        `KeyValueStore.transact: the function's export name must be a string, got ${name === null ? "null" : typeof name}`,
      );
    const fn = this.#function(name);
    for (let rerun = 0; ; rerun++) {
      const view = new TransactionView(this.#store);
      const cpuBefore = process.cpuUsage();
      try {
        return this.#attempt(name, fn, view, args);
      } catch (error) {
        view.close();
        if ((error as { code?: unknown })?.code !== "ERR_SCRIPT_EXECUTION_TIMEOUT") throw error;
        // The limit is wall-clock time. A process the machine starved (little CPU in that time)
        // stopped an innocent transaction: its writes were dropped, so running it again is safe.
        const { user, system } = process.cpuUsage(cpuBefore);
        const cpuMs = (user + system) / 1000;
        if (cpuMs >= this.#timeoutMs / 2 || rerun >= MAX_STARVED_RERUNS) {
          throw new TransactionAborted(
            `transaction ${name} was stopped after ${this.#timeoutMs} ms (STRMBRKR_KVS_TRANSACTION_TIMEOUT); the store is unchanged`,
          );
        }
        log.debug(`transaction ${name} ran out of time with ${cpuMs.toFixed(0)} ms of CPU (starved): running it again`);
      }
    }
  }

  #attempt(name: string, fn: (...args: unknown[]) => unknown, view: TransactionView, args: unknown[]): EncodedReply {
    let result: unknown;
    // Named, so the stack can be cut where the server called the user's function.
    this.#context.call = function strmbrkrTransaction() {
      result = fn(view, ...args);
    };
    try {
      this.#script.runInContext(this.#context, { timeout: this.#timeoutMs });
    } finally {
      this.#context.call = () => {};
    }
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") {
      throw new TypeError(`transaction ${name} returned a promise; transactions must be synchronous (the store is unchanged)`);
    }
    let reply: Buffer;
    try {
      reply = encode(result);
    } catch (error) {
      throw new TypeError(
        `transaction ${name} returned a value that cannot be sent back: ${(error as Error).message}; the store is unchanged`,
      );
    }
    view.commit(this.#maxValueBytes);
    return new EncodedReply(reply);
  }

  #function(name: string): (...args: unknown[]) => unknown {
    const fn = this.#exports![name];
    if (typeof fn !== "function") throw new TypeError(`KeyValueStore.transact: ${name} is not an exported function of the job script`);
    const kind = fn.constructor?.name;
    if (kind === "AsyncFunction" || kind === "AsyncGeneratorFunction") {
      throw new TypeError(`KeyValueStore.transact: ${name} is async; transactions must be synchronous (they run whole, on the server)`);
    }
    return fn as (...args: unknown[]) => unknown;
  }
}

/** The user's own frames only (source-mapped to the script), so the caller sees where it threw. */
function withUserFrames(error: unknown): unknown {
  if (!(error instanceof Error) || !error.stack) return error;
  const lines = error.stack.split("\n");
  const firstFrame = lines.findIndex((line) => /^\s+at /.test(line));
  if (firstFrame < 0) return error;
  const end = lines.findIndex((line) => line.includes("strmbrkrTransaction"));
  const frames = lines.slice(firstFrame, end < 0 ? undefined : end);
  const user = frames.filter((line) => !line.includes("(node:") && !INTERNAL_DIRS.some((dir) => line.includes(dir)));
  error.stack = [...lines.slice(0, firstFrame), ...user].join("\n");
  return error;
}

import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { fromErrorInfo, type ErrorInfo } from "../util/errors.js";
import { forkEarly, forkEntry, terminate, type Entry } from "../transport/children.js";
import { packageUrl } from "../util/package-root.js";
import { PREFORK_FLAG } from "../pool/prefork.js";
import { guessWorkerCount } from "./worker-guess.js";
import type { HostToHub, HostToKvs, HubToHost, KvsToHost } from "../wire/ipc.js";
import type { RuntimeContext } from "../wire/context.js";
import { handleMessage, type MessageHandlers } from "../util/message-handlers.js";

const HUB_ENTRY: Entry = { url: packageUrl("dist/runtime/hub/main.js"), loadsScript: false };

/**
 * Forks the hub before the host knows its configuration (see forkEarly): a `strmbrkr run ARGS` that can
 * run needs one (cli/early-run.ts). It forks the workers the run will likely start at once (runtime/hub/main.ts).
 */
export function forkHubEarly(args: string[] = []): void {
  const workers = guessWorkerCount(args);
  forkEarly(HUB_ENTRY, 1, workers > 0 ? [`${PREFORK_FLAG}${workers}`] : []);
}
const KVS_ENTRY: Entry = { url: packageUrl("dist/runtime/kvs/main.js"), loadsScript: true };

/** A service process the host owns: resolves `ready` with its endpoints, fails loudly if it dies. */
abstract class ServiceProcess<Ready, Message extends { type: string }> extends EventEmitter {
  readonly child: ChildProcess;
  readonly ready: Promise<Ready>;
  #stopping = false;
  #started = false;
  /** Why it could not start, in its own words (e.g. a --listen port in use), sent before it exited. */
  #startError?: Error;
  #resolve!: (ready: Ready) => void;
  #reject!: (error: Error) => void;

  constructor(entry: Entry, context: RuntimeContext, name: string) {
    super();
    this.child = forkEntry(entry, context);
    this.ready = new Promise<Ready>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.child.on("message", (message: Message) => handleMessage(this.messages, message));
    this.child.once("exit", (code, signal) => {
      const error =
        this.#startError ?? new Error(`the ${name} process exited ${signal ? `to signal ${signal}` : `with exit code ${code}`}`);
      this.#reject(error);
      if (!this.#stopping) this.emit("fatal", error);
      this.emit("exit");
    });
    this.ready.catch(() => {}); // reported through "fatal"
  }

  /** What the process tells the host, one handler per type (runtime/wire/ipc.ts). */
  protected abstract readonly messages: MessageHandlers<Message>;

  /** It reported ready. Until then a failure is its waiters' to report (they get it from `ready`). */
  get started(): boolean {
    return this.#started;
  }

  get running(): boolean {
    return !this.#stopping && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Exited without being asked to. */
  get died(): boolean {
    return !this.#stopping && (this.child.exitCode !== null || this.child.signalCode !== null);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await terminate(this.child);
  }

  /** Its "ready" message: `ready` resolves with `value`. */
  protected onReady(value: Ready): void {
    this.#started = true;
    this.#resolve(value);
  }

  /** Its "fatal" message: before it started, `ready` rejects with the error and this returns true. */
  protected onStartFailure(error: ErrorInfo): boolean {
    if (this.#started) return false;
    this.#startError ??= fromErrorInfo(error);
    this.#reject(this.#startError);
    return true;
  }
}

export interface HubEndpoints {
  frontend: string;
  /** With --listen: the address remote workers connect to. */
  gateway?: string;
}

/** The hub process (broker + worker pools). Emits "pool", "pool-stopped", "drained", "need-kvs", "activity" and "fatal". */
export class HubProcess extends ServiceProcess<HubEndpoints, HubToHost> {
  protected override readonly messages: MessageHandlers<HubToHost> = {
    ready: ({ frontend, gateway }) => this.onReady({ frontend, gateway }),
    fatal: ({ error }) => {
      if (!this.onStartFailure(error)) this.emit("fatal", fromErrorInfo(error));
    },
    pool: (message) => this.emit("pool", message),
    "pool-stopped": (message) => this.emit("pool-stopped", message),
    drained: (message) => this.emit("drained", message),
    "need-kvs": (message) => this.emit("need-kvs", message),
    activity: ({ activity }) => this.emit("activity", activity),
  };

  constructor(context: RuntimeContext) {
    super(HUB_ENTRY, context, "broker");
  }

  send(message: HostToHub): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Lets running jobs finish and stops every worker; resolves when done or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (!this.running) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.once("drained", done);
      this.once("exit", done);
      this.send({ type: "drain" });
    });
  }
}

/** The key-value store server process. */
export class KvsProcess extends ServiceProcess<string, KvsToHost> {
  /** With --listen, once ready: the endpoint remote workers use. */
  remote?: string;
  protected override readonly messages: MessageHandlers<KvsToHost> = {
    ready: ({ endpoint, remote }) => {
      this.remote = remote;
      this.onReady(endpoint);
    },
    // Once started, its failure shows as its exit.
    fatal: ({ error }) => void this.onStartFailure(error),
  };

  constructor(context: RuntimeContext) {
    super(KVS_ENTRY, context, "key-value store");
  }

  /** Tells the store where the job script's bundle is, for `KeyValueStore.transact`. */
  useBundle(path: string): void {
    if (this.child.connected) this.child.send({ type: "bundle", path } satisfies HostToKvs);
  }
}

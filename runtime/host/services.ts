import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { fromErrorInfo, type ErrorInfo } from "../util/errors.js";
import { forkEarly, forkEntry, terminate } from "../transport/children.js";
import { packageUrl } from "../util/package-root.js";
import type { HostToHub, HostToKvs, HubToHost, KvsToHost } from "../wire/ipc.js";
import type { RuntimeContext } from "../wire/context.js";

const HUB_ENTRY = packageUrl("dist/runtime/hub/main.js");

/** Forks the hub before the host knows its configuration (see forkEarly): `strmbrkr run` always needs one. */
export function forkHubEarly(): void {
  forkEarly(HUB_ENTRY);
}
const KVS_ENTRY = packageUrl("dist/runtime/kvs/main.js");

/** A service process the host owns: resolves `ready` with its endpoints, fails loudly if it dies. */
abstract class ServiceProcess<Ready> extends EventEmitter {
  readonly child: ChildProcess;
  readonly ready: Promise<Ready>;
  #stopping = false;
  #started = false;
  /** Why it could not start, in its own words (e.g. a --listen port in use), sent before it exited. */
  #startError?: Error;

  constructor(entry: URL, context: RuntimeContext, name: string) {
    super();
    this.child = forkEntry(entry, context);
    this.ready = new Promise<Ready>((resolve, reject) => {
      this.child.on("message", (message: { type: string; error?: ErrorInfo }) => {
        if (message.type === "ready") {
          this.#started = true;
          resolve(this.readyValue(message));
        } else if (message.type === "fatal" && !this.#started) {
          this.#startError ??= fromErrorInfo(message.error!);
          reject(this.#startError);
        } else this.onMessage(message);
      });
      this.child.once("exit", (code, signal) => {
        const error = this.#startError ?? new Error(`the ${name} process exited ${signal ? `to signal ${signal}` : `with exit code ${code}`}`);
        reject(error);
        if (!this.#stopping) this.emit("fatal", error);
        this.emit("exit");
      });
    });
    this.ready.catch(() => {}); // reported through "fatal"
  }

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

  protected abstract readyValue(message: { type: string }): Ready;
  protected onMessage(_message: { type: string }): void {}
}

export interface HubEndpoints {
  frontend: string;
  backend: string;
  /** With --listen: the address remote workers connect to. */
  gateway?: string;
}

/** The hub process (broker + worker pools). Emits "pool", "pool-stopped" and "fatal". */
export class HubProcess extends ServiceProcess<HubEndpoints> {
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

  protected override readyValue(message: { type: string }): HubEndpoints {
    const { frontend, backend, gateway } = message as Extract<HubToHost, { type: "ready" }>;
    return { frontend, backend, gateway };
  }

  protected override onMessage(raw: { type: string }): void {
    const message = raw as HubToHost;
    if (message.type === "fatal") this.emit("fatal", fromErrorInfo(message.error));
    else this.emit(message.type, message);
  }
}

/** The key-value store server process. */
export class KvsProcess extends ServiceProcess<string> {
  /** With --listen, once ready: the endpoint remote workers use. */
  remote?: string;

  constructor(context: RuntimeContext) {
    super(KVS_ENTRY, context, "key-value store");
  }

  /** Tells the store where the job script's bundle is, for `KeyValueStore.transact`. */
  useBundle(path: string): void {
    if (this.child.connected) this.child.send({ type: "bundle", path } satisfies HostToKvs);
  }

  protected override readyValue(message: { type: string }): string {
    const { endpoint, remote } = message as Extract<KvsToHost, { type: "ready" }>;
    this.remote = remote;
    return endpoint;
  }
}

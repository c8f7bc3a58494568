import type { ClientContext } from "./context.js";
import type { KvsClient } from "./kvs-client.js";
import { connectKvs, KvsConnection } from "./kvs-connection.js";
import { ScriptExports } from "./script-exports.js";
import type { Config } from "../config/config.js";
import { setLogLevel } from "../config/logger.js";
import { sendToOwner } from "../transport/children.js";
import { awaitEndpoint } from "../transport/kvs-discovery.js";
import { clientKeysOf } from "../transport/run-keys.js";
import type { CurveClientKeys } from "../util/curve.js";
import type { RuntimeContext } from "../wire/context.js";
import type { WorkerToHub } from "../wire/ipc.js";

/**
 * The run as a process its host started knows it (a worker, local or remote; the store process,
 * which imports the script for `transact`): where the broker and the store are. It owns no service.
 */
export class WorkerContext implements ClientContext {
  readonly kind = "worker";
  readonly config: Config;
  readonly runDir: string;
  readonly script: ScriptExports;
  readonly #runtime: RuntimeContext;
  #kvsEndpoint?: Promise<string>;
  readonly #kvsConnection = new KvsConnection(() =>
    this.kvsEndpoint().then((endpoint) => connectKvs(endpoint, { config: this.config, runDir: this.runDir, curve: this.clientKeys })),
  );
  #clientKeys?: CurveClientKeys;

  constructor(runtime: RuntimeContext) {
    this.#runtime = runtime;
    this.config = runtime.config;
    this.runDir = runtime.runDir;
    this.script = new ScriptExports({ bundlePath: runtime.bundle });
    setLogLevel(runtime.config.loggingLevel);
  }

  /** This process's id in its pool ("1.2", or "r1.2" on another machine); undefined in the store's. */
  get workerId(): string | undefined {
    return this.#runtime.workerId;
  }

  /** A remote worker's keys (from its supervisor), else the run's, read from its directory when first asked for. */
  get clientKeys(): CurveClientKeys | undefined {
    return (this.#clientKeys ??= clientKeysOf(this.#runtime));
  }

  brokerEndpoint(): Promise<string> {
    const frontend = this.#runtime.frontend;
    return frontend
      ? Promise.resolve(frontend)
      : Promise.reject(new Error("this process has no broker to queue jobs to: queue them from main or a job"));
  }

  async releaseBroker(): Promise<void> {}

  /** The store's endpoint: handed over at start, or, for a worker started before the store, found in the run directory. */
  kvsEndpoint(): Promise<string> {
    if (this.#runtime.kvs) return Promise.resolve(this.#runtime.kvs);
    const ask = () => sendToOwner({ type: "need-kvs" } satisfies WorkerToHub);
    this.#kvsEndpoint ??= awaitEndpoint(this.runDir, this.config.workerStartTimeout * 1000, ask).catch((error: Error) => {
      this.#kvsEndpoint = undefined; // the next call waits again
      throw error;
    });
    return this.#kvsEndpoint;
  }

  kvsClient(): Promise<KvsClient> {
    return this.#kvsConnection.client();
  }

  get readyKvsClient(): KvsClient | undefined {
    return this.#kvsConnection.ready;
  }
}

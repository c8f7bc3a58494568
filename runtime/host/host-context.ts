import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ScriptError, Stopped } from "../util/errors.js";
import { safeWriteFileSync } from "../util/safe-write.js";
import type { Bundle } from "./bundle.js";
import type { ClientContext } from "../client/context.js";
import type { JobEvents } from "../client/job-events.js";
import type { KvsClient } from "../client/kvs-client.js";
import { connectKvs, KvsConnection } from "../client/kvs-connection.js";
import { ScriptExports } from "../client/script-exports.js";
import type { Config } from "../config/config.js";
import { getLogger, setLogLevel } from "../config/logger.js";
import type { ListenContext } from "../wire/context.js";
import { createRunKeys, runClientKeys } from "../transport/run-keys.js";
import type { CurveClientKeys } from "../util/curve.js";
import { HubProcess, KvsProcess } from "./services.js";

const log = getLogger("host");

/**
 * The run as its host (the CLI, or a program using the library) owns it: the run directory, the
 * script's bundle, and the broker and the store, each started on first use. Workers have a
 * context of their own (runtime/client/worker-context.ts), without any of the services.
 */
export class HostContext implements ClientContext {
  readonly kind = "host";
  readonly config: Config;
  readonly script = new ScriptExports();
  /** The run's journal, once it began (`--journal`); told of every job of this process's QueueManagers. */
  jobEvents?: JobEvents;
  #runDir?: string;
  #clientKeys?: CurveClientKeys;
  #bundle?: Promise<Bundle>;
  #bundleScript?: string;
  #resolved?: Bundle;
  #hub?: HubProcess;
  #kvs?: KvsProcess;
  readonly #kvsConnection = new KvsConnection(() =>
    this.kvsEndpoint().then((endpoint) => connectKvs(endpoint, { config: this.config, runDir: this.#runDir, curve: this.clientKeys })),
  );
  /** The client, once a store started after the last one died is up. */
  #kvsRestart?: Promise<KvsClient>;
  #nextPoolId = 1;
  #hubUsers = 0;
  #lastKvsEndpoint?: string;
  #lastRemoteKvs?: string;
  #listen?: ListenContext;
  /** Set once the run began to stop: from then on no broker or store is started (see #mayStart). */
  #stopping = false;

  constructor(config: Config) {
    this.config = config;
    setLogLevel(config.loggingLevel);
  }

  /** Accept remote workers (`strmbrkr run --listen`); call before anything starts. */
  listenForWorkers(listen: ListenContext): void {
    this.#listen = listen;
  }

  get listening(): boolean {
    return this.#listen !== undefined;
  }

  /** The run's private directory (mode 0700): the bundle and ipc socket files live here. */
  get runDir(): string {
    if (!this.#runDir) {
      const runDir = mkdtempSync(join(tmpdir(), `strmbrkr-${this.config.instanceId}-`));
      this.#clientKeys = runClientKeys(createRunKeys(runDir)); // for its loopback TCP sockets (runtime/transport/run-keys.ts)
      // However the host ends (library users never call shutdown), the directory goes with it.
      process.once("exit", () => rmSync(runDir, { recursive: true, force: true }));
      this.#runDir = runDir;
    }
    return this.#runDir;
  }

  /** The run's client keys, made with its directory. */
  get clientKeys(): CurveClientKeys | undefined {
    return this.#clientKeys;
  }

  /** Bundles `script` once; a second, different script in one process is refused. */
  useScript(scriptPath: string): Promise<Bundle> {
    const script = resolve(scriptPath);
    if (this.#bundle && this.#bundleScript !== script) {
      return Promise.reject(new ScriptError(`this process already runs ${this.#bundleScript}; cannot also run ${script}`));
    }
    this.#bundleScript = script;
    // esbuild loads only where a script is bundled (the host), not in every worker.
    this.#bundle ??= import("./bundle.js")
      .then(({ bundleScript }) => bundleScript(script, this.runDir))
      .then((bundle) => {
        this.#kvs?.useBundle(bundle.path); // a store started first learns it now, for transact
        this.script.useBundle(bundle.script, bundle.exports);
        return (this.#resolved = bundle);
      });
    return this.#bundle;
  }

  /**
   * Makes `bytes`, a bundle of `scriptPath` built by an earlier run (`strmbrkr replay`: the one kept
   * beside the journal), this run's bundle. It is written where a run writes its own,
   * `<runDir>/bundle.mjs`, so the relative paths of its inline source map resolve as in its run.
   */
  useBuiltBundle(scriptPath: string, bytes: Uint8Array): Bundle {
    if (this.#bundle) throw new ScriptError(`this process already runs ${this.#bundleScript}; cannot also run another bundle`);
    // A replayed job starts no workers: its store starts when it first uses one.
    const bundle: Bundle = { script: resolve(scriptPath), path: join(this.runDir, "bundle.mjs"), exports: [], usesStore: false };
    safeWriteFileSync(bundle.path, bytes);
    this.#bundleScript = bundle.script;
    this.#bundle = Promise.resolve((this.#resolved = bundle));
    this.#kvs?.useBundle(bundle.path);
    return bundle;
  }

  /** The hub, started if need be. Each caller holds it until `releaseHub()`; the last release stops it. */
  retainHub(): HubProcess {
    this.#hubUsers++;
    return this.hub();
  }

  async releaseHub(): Promise<void> {
    if (--this.#hubUsers > 0) return;
    this.#hubUsers = 0;
    await this.#hub?.stop();
    this.#hub = undefined;
  }

  /** The hub if it runs now; never starts one. */
  get runningHub(): HubProcess | undefined {
    return this.#hub?.running ? this.#hub : undefined;
  }

  hub(): HubProcess {
    if (!this.#hub?.running) {
      this.#mayStart("broker");
      const hub = new HubProcess({ config: this.config, runDir: this.runDir, listen: this.#listen });
      // Whoever waits on the hub (startWorkers, `ready`) reports its failure; this covers failures mid-run.
      hub.on("fatal", (error: Error) => hub.started && hub.listenerCount("fatal") === 1 && log.critical(error.message));
      hub.on("need-kvs", () => this.startKvs());
      this.#hub = hub;
      this.#tellRemoteKvs();
    }
    return this.#hub;
  }

  /** Where QueueManagers connect; holds the hub until `releaseBroker()`. */
  async brokerEndpoint(): Promise<string> {
    return (await this.retainHub().ready).frontend;
  }

  releaseBroker(): Promise<void> {
    return this.releaseHub();
  }

  /** The store's endpoint, the store started if need be. */
  async kvsEndpoint(): Promise<string> {
    if (!this.#kvs?.running) {
      this.#mayStart("key-value store");
      const kvs = new KvsProcess({
        config: this.config,
        runDir: this.runDir,
        kvs: this.#lastKvsEndpoint,
        remoteKvs: this.#lastRemoteKvs,
        bundle: this.#resolved?.path,
        listen: this.#listen,
      });
      kvs.ready.then(
        (endpoint) => {
          this.#lastKvsEndpoint = endpoint;
          this.#lastRemoteKvs = kvs.remote;
          this.#tellRemoteKvs();
        },
        () => {},
      );
      this.#kvs = kvs;
    }
    return this.#kvs.ready;
  }

  /**
   * Starts the store in the background, if it is not running. Nothing waits on it here, so a
   * failure to start is reported now; whoever uses the store gets the error again.
   */
  startKvs(): void {
    const starting = this.kvsEndpoint();
    const kvs = this.#kvs;
    // Stopped on purpose before it was up (a short run's end) is no failure.
    starting.catch((error: Error) => kvs?.died && log.critical(`the key-value store did not start: ${error.message}`));
  }

  /** The store's endpoint if it is up now; never starts one. */
  get runningKvsEndpoint(): string | undefined {
    return this.#kvs?.running ? this.#lastKvsEndpoint : undefined;
  }

  /** This process's KVS connection, made on first use (and again after the server was stopped). */
  kvsClient(): Promise<KvsClient> {
    // The store this host owns died (killed, crashed): a fresh one binds the same endpoints, and
    // the client, which reconnects by itself (zeromq or the local socket), carries on with it.
    // Requests wait until the fresh store is up: sent at once, their timeouts could run out while
    // it starts on a busy machine.
    if (this.#kvsConnection.made && this.#kvs?.died) {
      const client = this.#kvsConnection.client();
      const restart: Promise<KvsClient> = this.kvsEndpoint()
        .then(
          () => client,
          () => client,
        )
        .finally(() => {
          if (this.#kvsRestart === restart) this.#kvsRestart = undefined;
        });
      this.#kvsRestart = restart;
    }
    if (this.#kvsRestart) return this.#kvsRestart;
    return this.#kvsConnection.client();
  }

  /** The KVS connection once made, while its server needs no restart: a request through it waits for nothing else. */
  get readyKvsClient(): KvsClient | undefined {
    return this.#kvs?.died || this.#kvsRestart ? undefined : this.#kvsConnection.ready;
  }

  /** Stops the store this host owns (it writes its snapshot as it goes) and forgets the client; the next call starts a fresh one. */
  async stopKvs(): Promise<void> {
    await this.#kvsConnection.close();
    await this.#kvs?.stop();
    this.#kvs = undefined;
  }

  /** The store process's pid while it runs. */
  get kvsPid(): number | undefined {
    return this.#kvs?.running ? this.#kvs.child.pid : undefined;
  }

  /** With --listen, once the store is up: its CURVE endpoint (for remote workers and `strmbrkr kvs`). */
  get remoteKvsEndpoint(): string | undefined {
    return this.#lastRemoteKvs;
  }

  /** With --listen, the hub hands remote workers the KVS's remote endpoint. */
  #tellRemoteKvs(): void {
    const hub = this.#hub;
    const endpoint = this.#lastRemoteKvs;
    if (hub && endpoint)
      void hub.ready.then(
        () => hub.send({ type: "remote-kvs", endpoint }),
        () => {},
      );
  }

  nextPoolId(): number {
    return this.#nextPoolId++;
  }

  /**
   * The run is stopping: from now on, nothing asks for a broker or a store process that is not
   * running (a worker's late `need-kvs`, a job's promise the script left behind) starts one. It
   * would boot into a run directory about to go and fail there, loudly.
   */
  beginShutdown(): void {
    this.#stopping = true;
  }

  /** The one rule for starting a service: never once the run is stopping. */
  #mayStart(what: string): void {
    if (this.#stopping) throw new Stopped(`the run is stopping: the ${what} is not started again`);
  }

  /** Stops the services this process started and removes the run directory; nothing starts again. */
  async shutdown(): Promise<void> {
    this.beginShutdown();
    await this.#kvsConnection.close();
    await Promise.all([this.#hub?.stop(), this.#kvs?.stop()]);
    this.#hub = this.#kvs = this.#lastKvsEndpoint = this.#lastRemoteKvs = undefined;
    if (this.#runDir) rmSync(this.#runDir, { recursive: true, force: true });
    this.#runDir = undefined;
    this.#bundle = this.#resolved = undefined;
  }
}

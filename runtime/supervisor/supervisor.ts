import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { Dealer } from "zeromq";
import { zeromq } from "../transport/zeromq.js";
import type { Config } from "../config/config.js";
import { Pool } from "../pool/pool.js";
import { getLogger } from "../config/logger.js";
import { Outbox } from "../transport/outbox.js";
import { STRMBRKR_VERSION } from "../util/package-root.js";
import { BUNDLE_CHUNK_BYTES, Gate, type Refused, type SupervisorBeat, type SupervisorHello, type Welcome } from "../wire/gateway.js";
import { PROTOCOL_VERSION, type CurveClientKeys } from "../wire/context.js";
import { safeWriteFileSync } from "../util/safe-write.js";
import { cachedBundle, localizeBundle, storeBundle } from "../util/bundle-cache.js";
import { Heartbeat, Liveness } from "../util/liveness.js";
import { clientSecurity } from "../transport/client-security.js";

const log = getLogger("worker-supervisor");
/** A hello goes out again this often until the host answers (it may not be up yet). */
const HELLO_RETRY_MS = 1_000;
/** Warn once when the host has not answered for this long. */
const NO_ANSWER_WARNING_MS = 10_000;
/**
 * The supervisor gives up on a silent host later than the host gives up on it: the host only
 * re-dispatches jobs, while a supervisor that gives up kills its workers mid-job. At least this long.
 */
const MIN_HOST_SILENCE_MS = 2_000;

export interface SupervisorOptions {
  /** The host's --listen address as reachable from here: tcp://HOST:PORT. */
  connect: string;
  workers: number;
  /** CURVE keys (this worker's pair and the host's public key); absent with --insecure. */
  curve?: CurveClientKeys;
  cacheDir: string;
  /** Wait for the next run when one ends, instead of exiting. */
  persist: boolean;
  /** Exit (code 1) after saying hello this long unanswered, so a host that vanished leaves no waiting worker behind; 0: never. */
  giveUpMs: number;
  /** Used until the host sends its own configuration; its instanceId stays this machine's. */
  config: Config;
}

/** How a supervisor ended: exit code, and a one-line reason when it failed. */
export interface SupervisorExit {
  code: number;
  message?: string;
}

/**
 * `strmbrkr worker`: joins a host's run through its gateway, fetches the bundle (from the cache
 * when the hash is known), forks and supervises the worker processes (a Pool, as the hub does
 * locally), reports their exits and liveness, and obeys the host's kills. When the host falls
 * silent it stops its workers (their jobs are re-dispatched there) and joins again.
 */
export class WorkerSupervisor {
  readonly finished: Promise<SupervisorExit>;
  #options: SupervisorOptions;
  #host: string;
  #socket!: Dealer;
  #outbox!: Outbox;
  #welcome?: Welcome;
  #pool?: Pool;
  #runDir?: string;
  #download?: { hash: string; chunks: Buffer[]; received: number };
  /** The host, heard from since the welcome (any message counts as a heartbeat). */
  #hostLiveness?: Liveness;
  #helloTimer?: NodeJS.Timeout;
  #heartbeat?: Heartbeat;
  #ending = false;
  #rejoining = false;
  #end!: (exit: SupervisorExit) => void;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#host = new URL(options.connect.replace(/^tcp:/, "http:")).hostname;
    this.finished = new Promise((resolve) => (this.#end = resolve));
    this.#join();
  }

  /** Leaves the run: tells the host, stops the workers (their jobs are re-dispatched) and resolves `finished` with 0. */
  async stop(): Promise<void> {
    if (this.#ending) return;
    await this.#pool?.destroy(); // each exit is reported ("gone", not a loss: the pool is stopping) before the goodbye
    this.#send(Gate.BYE, {});
    await this.#finish({ code: 0 });
  }

  #join(): void {
    const socket = new (zeromq().Dealer)({
      linger: 500,
      maxMessageSize: BUNDLE_CHUNK_BYTES + 64 * 1024,
      ...clientSecurity(this.#options.connect, this.#options.curve),
    });
    void this.#watch(socket); // before connecting: an event from before the monitor exists is lost
    socket.connect(this.#options.connect);
    this.#socket = socket;
    this.#outbox = new Outbox(socket, (error) => log.error(`send to the host failed: ${error.message}`));
    void this.#receive(socket);
    const hello: SupervisorHello = {
      protocol: PROTOCOL_VERSION,
      version: STRMBRKR_VERSION,
      workers: this.#options.workers,
      hostname: hostname(),
      pid: process.pid,
    };
    const since = Date.now();
    let warned = false;
    const sayHello = () => {
      if (!warned && Date.now() - since > NO_ANSWER_WARNING_MS) {
        warned = true;
        log.warning(
          `no answer from ${this.#options.connect} yet; still trying (is the run started with --listen, and --server-key its key?)`,
        );
      }
      if (socket.closed || this.#welcome) return clearInterval(this.#helloTimer);
      const { giveUpMs } = this.#options;
      if (giveUpMs > 0 && Date.now() - since > giveUpMs) {
        return void this.#finish({
          code: 1,
          message: `no answer from ${this.#options.connect} for ${Math.round(giveUpMs / 1000)} s; giving up (--give-up SECONDS to wait longer, 0 or --persist for ever)`,
        });
      }
      this.#send(Gate.HELLO, hello);
    };
    sayHello();
    clearInterval(this.#helloTimer);
    this.#helloTimer = setInterval(sayHello, HELLO_RETRY_MS);
  }

  /** A refused key shows only as a handshake failure: give up with a clear reason, not a silent retry loop. */
  async #watch(socket: Dealer): Promise<void> {
    try {
      for await (const event of socket.events) {
        if (event.type === "handshake:error:auth") {
          const key = this.#options.curve?.publicKey;
          return void this.#finish({
            code: 2,
            message: `the host at ${this.#options.connect} refused this worker's key${key ? ` ${key}` : ""}: add it to the host's --authorized-keys`,
          });
        }
      }
    } catch {
      // the socket closed
    }
  }

  async #receive(socket: Dealer): Promise<void> {
    try {
      for await (const [command, body, bytes] of socket) {
        if (socket !== this.#socket) return; // left behind by a rejoin
        this.#hostLiveness?.heard();
        try {
          this.#onMessage(command?.toString() ?? "", body ? JSON.parse(body.toString()) : {}, bytes);
        } catch (error) {
          log.error(`dropped a malformed message from the host: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      if (!socket.closed) log.error(`receive from the host failed: ${(error as Error).message}`);
    }
  }

  #onMessage(command: string, body: any, bytes: Buffer | undefined): void {
    switch (command) {
      case Gate.WELCOME:
        return this.#welcomed(body as Welcome);
      case Gate.REFUSED:
        return void this.#finish({ code: 2, message: `refused by the host: ${(body as Refused).message}` });
      case Gate.CHUNK:
        return this.#chunk(body, bytes ?? Buffer.alloc(0));
      case Gate.KILL:
        return this.#pool?.kill(String(body.workerId));
      case Gate.RELEASE:
        return this.#pool?.release(String(body.workerId));
      case Gate.DRAIN:
        return this.#pool?.stop(false, () => false); // no replacements; each worker leaves on its RELEASE
      case Gate.BYE:
        if (body.rejoin || this.#options.persist)
          return void this.#rejoin(body.rejoin ? "the host forgot this worker (its link was down)" : "the run ended; waiting for the next");
        return void this.#finish({ code: 0 });
      case Gate.HEARTBEAT:
        return;
      default:
        throw new Error(`unknown command ${command.slice(0, 32)}`);
    }
  }

  #welcomed(welcome: Welcome): void {
    if (welcome.protocol !== PROTOCOL_VERSION || welcome.version !== STRMBRKR_VERSION) {
      return void this.#finish({
        code: 2,
        message: `the host runs strmbrkr ${welcome.version} (protocol ${welcome.protocol}) but this worker runs strmbrkr ${STRMBRKR_VERSION} (protocol ${PROTOCOL_VERSION}); install the same version on both`,
      });
    }
    if (this.#welcome) return; // an answer to a resent hello
    this.#welcome = welcome;
    clearInterval(this.#helloTimer);
    const { heartbeatInterval, heartbeatLiveness } = welcome.config;
    const host = (this.#hostLiveness = new Liveness(Math.max(2 * heartbeatInterval * heartbeatLiveness * 1000, MIN_HOST_SILENCE_MS)));
    this.#heartbeat = new Heartbeat(heartbeatInterval * 1000, (now) => this.#beat(host, now));
    const cached = cachedBundle(this.#options.cacheDir, welcome.bundle.hash);
    if (cached) return this.#start(cached);
    log.info(`fetching the job script's bundle (${welcome.bundle.bytes} bytes, sha256 ${welcome.bundle.hash.slice(0, 16)}…)`);
    this.#download = { hash: welcome.bundle.hash, chunks: [], received: 0 };
    this.#send(Gate.FETCH, { hash: welcome.bundle.hash, offset: 0 });
  }

  #chunk(header: { hash: string; offset: number; total: number }, bytes: Buffer): void {
    const download = this.#download;
    if (!download || header.hash !== download.hash || header.offset !== download.received) return;
    download.chunks.push(bytes);
    download.received += bytes.length;
    if (download.received < header.total && bytes.length > 0)
      return this.#send(Gate.FETCH, { hash: download.hash, offset: download.received });
    this.#download = undefined;
    const bundle = Buffer.concat(download.chunks);
    try {
      storeBundle(this.#options.cacheDir, download.hash, bundle);
    } catch (error) {
      return void this.#finish({ code: 1, message: (error as Error).message });
    }
    this.#start(bundle);
  }

  /** Forks the workers on the verified bundle, pointed at the host's remote sockets. */
  #start(bundle: Buffer): void {
    const welcome = this.#welcome!;
    const runDir = (this.#runDir ??= mkdtempSync(join(tmpdir(), `strmbrkr-worker-${this.#options.config.instanceId}-`)));
    const path = join(runDir, `bundle-${welcome.bundle.hash.slice(0, 16)}.mjs`);
    safeWriteFileSync(path, localizeBundle(bundle, welcome.bundle.stdlibUrl));
    const endpoint = (port: number) => `tcp://${this.#host}:${port}`;
    const context = {
      config: { ...welcome.config, instanceId: this.#options.config.instanceId },
      runDir,
      backend: endpoint(welcome.ports.backend),
      frontend: endpoint(welcome.ports.frontend),
      kvs: endpoint(welcome.ports.kvs),
      bundle: path,
      curve: this.#options.curve,
      workerSecret: welcome.workerSecret,
    };
    this.#pool = new Pool({
      id: welcome.poolId,
      count: this.#options.workers,
      watchdogMs: 0,
      context,
      hooks: {
        gone: (workerId, how, countAsLoss) => this.#send(Gate.GONE, { workerId, how, countAsLoss }),
        fatal: (error) => {
          this.#send(Gate.FATAL, error);
          void this.#finish({ code: 1, message: `the job script cannot be loaded here: ${error.stack ?? error.message}` });
        },
        stopped: () => {},
      },
      idPrefix: welcome.supervisorId,
    });
    log.info(`joined ${this.#options.connect} as ${welcome.supervisorId}: starting ${this.#options.workers} workers`);
  }

  #beat(host: Liveness, now: number): void {
    if (host.isSilent(now)) return void this.#rejoin(`the host has been silent for ${host.silentForMs(now)} ms`);
    const pool = this.#pool;
    const workers = pool?.workerIds() ?? [];
    this.#send(Gate.HEARTBEAT, { workers, running: workers.filter((id) => pool!.isRunning(id)) } satisfies SupervisorBeat);
  }

  /** Stops the workers and says hello again on a fresh connection. */
  async #rejoin(reason: string): Promise<void> {
    if (this.#rejoining || this.#ending) return;
    this.#rejoining = true;
    log.warning(`${reason}; stopping this machine's workers and joining again`);
    await this.#leave();
    this.#rejoining = false;
    if (!this.#ending) this.#join();
  }

  async #leave(): Promise<void> {
    this.#heartbeat?.stop();
    clearInterval(this.#helloTimer);
    const pool = this.#pool;
    this.#pool = this.#welcome = this.#download = undefined;
    await pool?.destroy();
    const until = Date.now() + 500;
    while (!this.#outbox.idle && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    this.#socket.close();
  }

  async #finish(exit: SupervisorExit): Promise<void> {
    if (this.#ending) return;
    this.#ending = true;
    await this.#leave();
    if (this.#runDir) rmSync(this.#runDir, { recursive: true, force: true });
    this.#end(exit);
  }

  #send(command: string, body: object): void {
    if (!this.#socket.closed) this.#outbox.send([command, JSON.stringify(body)]);
  }
}

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Router } from "zeromq";
import type { ErrorInfo } from "../util/errors.js";
import type { Config } from "../config/config.js";
import { getLogger } from "../config/logger.js";
import { Outbox } from "../transport/outbox.js";
import { BUNDLE_CHUNK_BYTES, Gate, type Refused, type SupervisorBeat, type SupervisorHello, type Welcome } from "../wire/gateway.js";
import { PROTOCOL_VERSION } from "../wire/context.js";
import { STDLIB_URL, STRMBRKR_VERSION } from "../util/package-root.js";
import { Heartbeat, Liveness } from "../util/liveness.js";

const log = getLogger("gateway");
const SECRET_SEPARATOR = "#".charCodeAt(0);

interface Supervisor {
  id: string;
  /** Its workers' routing ids end in `#<secret>` (Welcome.workerSecret). */
  secret: Buffer;
  routing: Buffer;
  hostname: string;
  pid: number;
  /** Any message from it counts as a heartbeat. */
  liveness: Liveness;
  workers: Set<string>;
  running: Set<string>;
}

export interface GatewayHooks {
  /** A remote worker is gone (broker.workerGone): its jobs go back to the queue. */
  workerGone(id: string, how: string, countAsLoss: boolean): void;
  /** The remote worker count changed. */
  changed(): void;
}

export interface GatewayOptions {
  /** The bound gateway socket supervisors say hello on. */
  socket: Router;
  /** The remote backend's and frontend's ports, told to supervisors. */
  ports: { backend: number; frontend: number };
  /** The run's configuration: sent to supervisors, and its heartbeat settings used here. */
  config: Config;
  hooks: GatewayHooks;
}

/**
 * The hub's door for remote `strmbrkr worker` supervisors: the handshake (versions, bundle hash,
 * endpoints), the bundle download, and their supervision: heartbeats both ways, worker exits
 * reported by them, kills and releases sent to them. A supervisor silent for the heartbeat limit
 * is forgotten and the jobs of its workers re-dispatched.
 */
export class Gateway {
  #outbox: Outbox;
  #config: Config;
  #hooks: GatewayHooks;
  #ports: { backend: number; frontend: number };
  #byId = new Map<string, Supervisor>();
  #byRouting = new Map<string, Supervisor>();
  #seq = 0;
  #bundle?: { hash: string; bytes: Buffer };
  #poolId?: number;
  #kvsPort?: number;
  /** Supervisors that said hello before the run had a bundle and a store. */
  #waiting = new Map<string, { routing: Buffer; hello: SupervisorHello }>();
  #heartbeat: Heartbeat;
  #silenceMs: number;
  #draining = false;

  constructor({ socket, ports, config, hooks }: GatewayOptions) {
    this.#outbox = new Outbox(socket, (error) => log.error(`send failed: ${error.message}`));
    this.#ports = ports;
    this.#config = config;
    this.#hooks = hooks;
    this.#silenceMs = config.heartbeatInterval * config.heartbeatLiveness * 1000;
    this.#heartbeat = new Heartbeat(config.heartbeatInterval * 1000, (now) => this.#checkLiveness(now));
    void this.#serve(socket);
  }

  /** The pool remote workers join (the first started), once there is one. */
  get poolId(): number | undefined {
    return this.#poolId;
  }

  /** The run's pool and bundle (from the first start-pool): remote workers join that pool. */
  usePool(poolId: number, bundlePath: string): void {
    if (this.#poolId !== undefined) return;
    const bytes = readFileSync(bundlePath);
    this.#bundle = { hash: createHash("sha256").update(bytes).digest("hex"), bytes };
    this.#poolId = poolId;
    this.#welcomeWaiting();
  }

  useKvs(endpoint: string): void {
    this.#kvsPort = Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));
    this.#welcomeWaiting();
  }

  /** Whether `id` names a remote worker (they alone start with "r"). */
  static owns(id: string): boolean {
    return id.startsWith("r");
  }

  /**
   * The worker id a routing id on the remote backend speaks for — `r<n>.<m>` from
   * `r<n>.<m>#<secret of r<n>>` — or undefined: a peer that does not hold a supervisor's secret
   * cannot take its workers' jobs or send their results, whatever key it was admitted with.
   */
  admitWorker(routingId: Buffer): Buffer | undefined {
    const hash = routingId.indexOf(SECRET_SEPARATOR);
    if (hash < 0) return undefined;
    const workerId = routingId.subarray(0, hash);
    const dot = workerId.indexOf(".");
    const supervisor = dot > 0 ? this.#byId.get(workerId.subarray(0, dot).toString("latin1")) : undefined;
    const secret = routingId.subarray(hash + 1);
    if (!supervisor || secret.length !== supervisor.secret.length || !timingSafeEqual(secret, supervisor.secret)) return undefined;
    return workerId;
  }

  /** A remote worker of a supervisor that is connected now. */
  isWorker(id: string): boolean {
    return this.#supervisorOf(id) !== undefined;
  }

  /** The machine a remote worker runs on, as its supervisor named it. */
  hostnameOf(id: string): string | undefined {
    return this.#supervisorOf(id)?.hostname;
  }

  /** Its supervisor is heard from and last saw the process running (not stopped). */
  isRunning(id: string): boolean {
    const supervisor = this.#supervisorOf(id);
    return !!supervisor && !supervisor.liveness.isSilent() && supervisor.running.has(id);
  }

  /** The broker registered a remote worker: count it as its supervisor's even before a heartbeat lists it. */
  registered(id: string): void {
    this.#supervisorOf(id)?.workers.add(id);
  }

  kill(id: string): void {
    this.#tell(id, Gate.KILL);
  }

  release(id: string): void {
    this.#tell(id, Gate.RELEASE);
  }

  /** Remote worker processes, as their supervisors last reported. */
  get workerCount(): number {
    let count = 0;
    for (const supervisor of this.#byId.values()) count += supervisor.workers.size;
    return count;
  }

  /**
   * Shutting down: no supervisor joins any more, every supervisor stops replacing workers, idle
   * workers (`retire` says which) leave now and busy ones when their job is done (the broker
   * releases them).
   */
  drain(retire: (id: string) => boolean): void {
    this.#draining = true;
    for (const supervisor of this.#byId.values()) {
      this.#send(supervisor.routing, Gate.DRAIN, {});
      for (const id of supervisor.workers) if (retire(id)) this.release(id);
    }
  }

  /** The run ends: every supervisor stops its workers. Resolves once the goodbyes are sent. */
  async close(): Promise<void> {
    this.#heartbeat.stop();
    for (const supervisor of this.#byId.values()) this.#send(supervisor.routing, Gate.BYE, {});
    for (const { routing } of this.#waiting.values()) this.#send(routing, Gate.BYE, {}); // never welcomed: the run ended first
    const until = Date.now() + 1_000;
    while (!this.#outbox.idle && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  async #serve(socket: Router): Promise<void> {
    try {
      for await (const [routing, command, body] of socket) {
        try {
          this.#onMessage(routing!, command?.toString() ?? "", body ? JSON.parse(body.toString()) : {});
        } catch (error) {
          log.error(`dropped a malformed message from a supervisor: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      if (!socket.closed) log.error(`socket failed: ${(error as Error).message}`);
    }
  }

  #onMessage(routing: Buffer, command: string, body: any): void {
    const supervisor = this.#byRouting.get(routing.toString("latin1"));
    if (supervisor) supervisor.liveness.heard();
    if (command === Gate.HELLO) return this.#hello(routing, body as SupervisorHello);
    if (!supervisor) {
      // Forgotten (its link was silent too long) or never welcomed: it must start over.
      if (command !== Gate.BYE) this.#send(routing, Gate.BYE, { rejoin: true });
      return;
    }
    switch (command) {
      case Gate.HEARTBEAT: {
        const beat = body as SupervisorBeat;
        const count = supervisor.workers.size;
        const own = (ids: unknown[]) => new Set(ids.map(String).filter((id) => this.#supervisorOf(id) === supervisor)); // it vouches for its own workers only
        supervisor.workers = own(beat.workers);
        supervisor.running = own(beat.running);
        if (count !== supervisor.workers.size) this.#hooks.changed();
        return;
      }
      case Gate.FETCH:
        return this.#sendChunk(supervisor, String(body.hash), Number(body.offset));
      case Gate.GONE:
        if (this.#supervisorOf(String(body.workerId)) !== supervisor)
          throw new Error(`gone: ${String(body.workerId).slice(0, 32)} is not a worker of ${supervisor.id}`);
        supervisor.workers.delete(String(body.workerId));
        this.#hooks.workerGone(String(body.workerId), `on ${supervisor.hostname} ${body.how}`, body.countAsLoss !== false);
        this.#hooks.changed();
        return;
      case Gate.FATAL:
        log.error(
          `the workers on ${supervisor.hostname} cannot load the job script: ${(body as ErrorInfo).stack ?? (body as ErrorInfo).message}`,
        );
        return this.#forget(supervisor, "(its workers cannot load the job script)", false);
      case Gate.BYE:
        log.info(`the worker supervisor on ${supervisor.hostname} (pid ${supervisor.pid}) left`);
        return this.#forget(supervisor, `(its supervisor on ${supervisor.hostname} left)`, false);
      default:
        throw new Error(`unknown command ${command.slice(0, 32)}`);
    }
  }

  #hello(routing: Buffer, hello: SupervisorHello): void {
    if (hello.protocol !== PROTOCOL_VERSION || hello.version !== STRMBRKR_VERSION) {
      const message = `the worker on ${hello.hostname} runs strmbrkr ${hello.version} (protocol ${hello.protocol}) but this host runs strmbrkr ${STRMBRKR_VERSION} (protocol ${PROTOCOL_VERSION}); install the same version on both`;
      log.error(`refused a remote worker: ${message}`);
      this.#send(routing, Gate.REFUSED, { protocol: PROTOCOL_VERSION, version: STRMBRKR_VERSION, message } satisfies Refused);
      return;
    }
    const known = this.#byRouting.get(routing.toString("latin1"));
    if (known) return this.#welcome(known); // a resent hello
    this.#waiting.set(routing.toString("latin1"), { routing, hello });
    this.#welcomeWaiting();
  }

  #welcomeWaiting(): void {
    if (!this.#bundle || this.#kvsPort === undefined || this.#draining) return;
    for (const { routing, hello } of this.#waiting.values()) {
      const supervisor: Supervisor = {
        id: `r${++this.#seq}`,
        secret: Buffer.from(randomBytes(16).toString("hex")),
        routing,
        hostname: String(hello.hostname),
        pid: Number(hello.pid),
        liveness: new Liveness(this.#silenceMs),
        workers: new Set(),
        running: new Set(),
      };
      this.#byId.set(supervisor.id, supervisor);
      this.#byRouting.set(routing.toString("latin1"), supervisor);
      log.info(
        `remote worker supervisor ${supervisor.id} joined from ${supervisor.hostname} (pid ${supervisor.pid}, ${hello.workers} workers)`,
      );
      this.#welcome(supervisor);
    }
    this.#waiting.clear();
  }

  #welcome(supervisor: Supervisor): void {
    const welcome: Welcome = {
      protocol: PROTOCOL_VERSION,
      version: STRMBRKR_VERSION,
      supervisorId: supervisor.id,
      workerSecret: supervisor.secret.toString(),
      poolId: this.#poolId!,
      bundle: { hash: this.#bundle!.hash, bytes: this.#bundle!.bytes.length, stdlibUrl: STDLIB_URL },
      ports: { ...this.#ports, kvs: this.#kvsPort! },
      config: this.#config,
    };
    this.#send(supervisor.routing, Gate.WELCOME, welcome);
  }

  #sendChunk(supervisor: Supervisor, hash: string, offset: number): void {
    const bundle = this.#bundle!;
    if (hash !== bundle.hash || !Number.isInteger(offset) || offset < 0 || offset > bundle.bytes.length) {
      this.#send(supervisor.routing, Gate.REFUSED, {
        protocol: PROTOCOL_VERSION,
        version: STRMBRKR_VERSION,
        message: `no bundle ${hash.slice(0, 16)} at offset ${offset}`,
      } satisfies Refused);
      return;
    }
    const bytes = bundle.bytes.subarray(offset, offset + BUNDLE_CHUNK_BYTES);
    this.#outbox.send([supervisor.routing, Gate.CHUNK, JSON.stringify({ hash, offset, total: bundle.bytes.length }), bytes]);
  }

  /** Beats to every supervisor; forgets those silent too long. */
  #checkLiveness(now: number): void {
    for (const supervisor of [...this.#byId.values()]) {
      this.#send(supervisor.routing, Gate.HEARTBEAT, {});
      if (!supervisor.liveness.isSilent(now)) continue;
      log.warning(
        `lost the link to the worker supervisor on ${supervisor.hostname} (silent for ${supervisor.liveness.silentForMs(now)} ms); re-dispatching the jobs of its workers`,
      );
      this.#forget(supervisor, `when the link to ${supervisor.hostname} dropped`, true);
    }
  }

  #forget(supervisor: Supervisor, how: string, countAsLoss: boolean): void {
    this.#byId.delete(supervisor.id);
    this.#byRouting.delete(supervisor.routing.toString("latin1"));
    for (const id of supervisor.workers) this.#hooks.workerGone(id, how, countAsLoss);
    this.#hooks.changed();
  }

  #supervisorOf(id: string): Supervisor | undefined {
    return this.#byId.get(id.slice(0, id.indexOf(".")));
  }

  #tell(workerId: string, command: string): void {
    const supervisor = this.#supervisorOf(workerId);
    if (supervisor) this.#send(supervisor.routing, command, { workerId });
  }

  #send(routing: Buffer, command: string, body: object): void {
    this.#outbox.send([routing, command, JSON.stringify(body)]);
  }
}

import type { Config } from "../config/config.js";
import type { CurveClientKeys } from "../util/curve.js";
import type { JobEvents } from "./job-events.js";
import type { KvsClient } from "./kvs-client.js";
import type { ScriptExports } from "./script-exports.js";

/**
 * What the clients (of the broker, of the store) need of the run this process belongs to. The
 * host's context (runtime/host/host-context.ts) and a worker's (runtime/client/worker-context.ts)
 * both provide it: the public API (stdlib/) looks up this process's once and hands it down.
 */
export interface ClientContext {
  readonly kind: "host" | "worker";
  readonly config: Config;
  /** The run's private directory (0700), where socket files live. */
  readonly runDir: string;
  /** CURVE keys for this process's TCP connections (runtime/transport/run-keys.ts). */
  readonly clientKeys: CurveClientKeys | undefined;
  readonly script: ScriptExports;
  /** Where QueueManagers connect. The host keeps its hub running for each caller until releaseBroker(). */
  brokerEndpoint(): Promise<string>;
  releaseBroker(): Promise<void>;
  /** This process's store connection, made on first use. */
  kvsClient(): Promise<KvsClient>;
  /** The store connection once made, while a request through it waits for nothing else. */
  readonly readyKvsClient: KvsClient | undefined;
  /** Told of every job queued and ended, when installed (the host's `--journal`); see job-events.ts. */
  readonly jobEvents?: JobEvents;
}

let installed: ClientContext | undefined;

/** Makes `context` this process's run: its entry (the CLI, a worker) installs it before any script code runs. */
export function installContext<C extends ClientContext>(context: C): C {
  installed = context;
  return context;
}

/** This process's run, if one was installed. */
export function installedContext(): ClientContext | undefined {
  return installed;
}

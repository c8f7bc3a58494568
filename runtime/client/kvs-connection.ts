import type { Config } from "../config/config.js";
import { nearestKvsEndpoint } from "../transport/kvs-discovery.js";
import type { CurveClientKeys } from "../util/curve.js";
import type { KvsClient } from "./kvs-client.js";

export interface KvsConnectionOptions {
  config: Config;
  /** This process's run directory, where the store's local socket is when they share a machine. */
  runDir: string | undefined;
  /** CURVE keys, for a tcp:// endpoint. */
  curve: CurveClientKeys | undefined;
}

/**
 * A store client for `endpoint` with the run's settings: over the store's local socket when this
 * process shares its machine and run directory, else over zeromq. Its modules load here, on first
 * use: a worker that never calls the store starts sooner.
 */
export async function connectKvs(endpoint: string, { config, runDir, curve }: KvsConnectionOptions): Promise<KvsClient> {
  const { KvsClient, transactTimeoutMs } = await import("./kvs-client.js");
  const {
    kvsClientSocketTimeout: timeoutMs,
    kvsClientSocketAttempts: attempts,
    kvsTransactionTimeout,
    kvsMaxValueBytes: maxValueBytes,
  } = config;
  return new KvsClient(nearestKvsEndpoint(runDir, endpoint), {
    timeoutMs,
    attempts,
    transactTimeoutMs: transactTimeoutMs(timeoutMs, kvsTransactionTimeout),
    maxValueBytes,
    spinWaitUs: config.spinWait,
    curve,
  });
}

/** A process's one store client: made on first use by `open`, made again after an attempt that failed or a `close`. */
export class KvsConnection {
  readonly #open: () => Promise<KvsClient>;
  #client?: Promise<KvsClient>;
  #ready?: KvsClient;

  constructor(open: () => Promise<KvsClient>) {
    this.#open = open;
  }

  /** Whether a client was asked for (and not closed since). */
  get made(): boolean {
    return this.#client !== undefined;
  }

  /** The client once connected: a request through it waits for nothing else. */
  get ready(): KvsClient | undefined {
    return this.#ready;
  }

  client(): Promise<KvsClient> {
    if (!this.#client) {
      const made = this.#open();
      this.#client = made;
      made.then(
        (client) => this.#client === made && (this.#ready = client),
        () => this.#client === made && (this.#client = undefined),
      );
    }
    return this.#client;
  }

  /** Closes the client, if one was made; the next `client()` makes another. */
  async close(): Promise<void> {
    const client = await this.#client?.catch(() => undefined);
    client?.close();
    this.#client = this.#ready = undefined;
  }
}

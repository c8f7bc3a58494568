/**
 * What a child process is told about its run (its RuntimeContext, in the environment or its
 * first IPC message), and the limits every channel shares. Each channel's messages have a file of
 * their own beside this one: jobs.ts, kvs.ts, gateway.ts, ipc.ts; docs/protocol.md describes
 * the same frames for people.
 */
import type { Config } from "../config/config.js";
import type { CurveClientKeys } from "../util/curve.js";

export const PROTOCOL_VERSION = 2;

/** Room for a message's own fields beyond the payload it carries, in bytes. */
export const FRAME_OVERHEAD_BYTES = 1024 * 1024;

/** Environment variable that hands a child process its RuntimeContext (JSON). */
export const RUNTIME_ENV = "STRMBRKR_RUNTIME";
/**
 * The context of a process forked before it was known (runtime/transport/children.ts forkEarly): its owner's first IPC
 * message, sent once the process said it listens (AwaitingContextMessage): Node drops a message no one listens for yet.
 */
export interface ContextMessage {
  type: "context";
  context: RuntimeContext;
}

/** A process forked early listens for its context now: its first IPC message. */
export interface AwaitingContextMessage {
  type: "awaiting-context";
}

/** What a child process needs to know about the run it belongs to. */
export interface RuntimeContext {
  config: Config;
  runDir: string;
  /** Set for workers: where they take jobs, submit nested jobs, and reach the KVS. */
  backend?: string;
  frontend?: string;
  kvs?: string;
  bundle?: string;
  poolId?: number;
  workerId?: string;
  /** Hub and KVS of a host run with --listen: where and how remote processes reach them. */
  listen?: ListenContext;
  /** A restarted KVS binds its predecessor's remote endpoint again. */
  remoteKvs?: string;
  /** Remote workers: CURVE keys for their connections to the host (absent with --insecure). */
  curve?: CurveClientKeys;
  /** Remote workers: their supervisor's secret, the end of their routing id on the host's backend (Welcome.workerSecret). */
  workerSecret?: string;
}

/** With --listen: the address and, unless --insecure, the host's CURVE keys and the admitted public keys (Z85). */
export interface ListenContext {
  address: string;
  curve?: { publicKey: string; secretKey: string; authorized: string[] };
}

export type { CurveClientKeys } from "../util/curve.js";

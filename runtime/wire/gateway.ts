/** The gateway: a remote machine's worker supervisor and the hub, over CURVE. */
import type { Config } from "../config/config.js";

// ---- Gateway: remote worker supervisor (DEALER) <-> hub (ROUTER, CURVE server) --------------------
// Every message is [Gate.*, JSON] (CHUNK adds the bytes); docs/protocol.md has the sequence.
// supervisor -> hub: [HELLO, SupervisorHello]           first, and again until welcomed
// hub -> supervisor: [WELCOME, Welcome] | [REFUSED, Refused]
// supervisor -> hub: [FETCH, {hash, offset}]            hub -> supervisor: [CHUNK, {hash, offset, total}, bytes]
// supervisor -> hub: [HEARTBEAT, SupervisorBeat]        hub -> supervisor: [HEARTBEAT, {}]
// supervisor -> hub: [GONE, {workerId, how, countAsLoss}] a worker process exited
// supervisor -> hub: [FATAL, ErrorInfo]                 its workers cannot load the bundle
// hub -> supervisor: [KILL, {workerId}] (watchdog, silence) | [RELEASE, {workerId}] (retire when idle)
// hub -> supervisor: [DRAIN, {}]                        shutting down: replace no worker; RELEASEs follow
// both ways:         [BYE, {rejoin?}]                    the run ends / the supervisor leaves; rejoin: the hub forgot it, hello again
export const Gate = {
  HELLO: "hello",
  WELCOME: "welcome",
  REFUSED: "refused",
  FETCH: "fetch",
  CHUNK: "chunk",
  HEARTBEAT: "heartbeat",
  GONE: "gone",
  FATAL: "fatal",
  KILL: "kill",
  RELEASE: "release",
  DRAIN: "drain",
  BYE: "bye",
} as const;

export interface SupervisorHello {
  protocol: number;
  /** strmbrkr's package version: both ends must run the same one. */
  version: string;
  workers: number;
  hostname: string;
  pid: number;
}

export interface Welcome {
  protocol: number;
  version: string;
  /** Prefix of this supervisor's worker ids (`r<n>`): the broker admits `r<n>.<m>` from it only. */
  supervisorId: string;
  /**
   * A secret of this supervisor's (128 random bits, hex), sent only over its CURVE connection: its
   * workers' routing ids are `r<n>.<m>#<secret>`, so no other admitted key can speak as them.
   */
  workerSecret: string;
  poolId: number;
  bundle: { hash: string; bytes: number; stdlibUrl: string };
  /** TCP ports on the host the supervisor connected to. */
  ports: { backend: number; frontend: number; kvs: number };
  config: Config;
}

export interface Refused {
  protocol: number;
  version: string;
  message: string;
}

export interface SupervisorBeat {
  /** Its worker processes now, and those of them running (not stopped): for the broker's liveness check. */
  workers: string[];
  running: string[];
}

/** Bytes of the bundle per CHUNK message. */
export const BUNDLE_CHUNK_BYTES = 1024 * 1024;

/** The private IPC channels between the run's processes (Node's fork channel, JSON). */
import type { ErrorInfo } from "../util/errors.js";
import type { HubActivity } from "./dashboard.js";

// ---- IPC: host <-> hub (broker + worker pools) -------------------------------------------------
export type HostToHub =
  // kvs: the store's endpoint when it runs already; else workers find it in the run directory.
  | { type: "start-pool"; poolId: number; count: number; watchdogMs: number; bundle: string; kvs?: string }
  | { type: "stop-pool"; poolId: number; noWait: boolean }
  /** Shutting down: let every worker finish its job, then stop; answered with "drained". */
  | { type: "drain" }
  /** With --listen: the KVS's remote endpoint, for remote workers. */
  | { type: "remote-kvs"; endpoint: string }
  /** The dashboard or metrics are on: send "activity" every `intervalMs` from now on. */
  | { type: "watch"; intervalMs: number }
  /** The dashboard's cancel: end these jobs Cancelled, whichever client submitted them (unknown ids are ignored). */
  | { type: "cancel"; ids: string[] };

export type HubToHost =
  | { type: "ready"; frontend: string; gateway?: string }
  /** `workers`: the pool's local processes; `remote`: with --listen, remote worker processes (they all join the first pool). */
  | { type: "pool"; poolId: number; workers: number; ready: number; busy: number; remote?: number; remoteInPool?: boolean }
  | { type: "pool-stopped"; poolId: number }
  | { type: "drained" }
  /** A worker needs the store before the host has started it (its script's top level calls it). */
  | { type: "need-kvs" }
  /** While watched: workers, what runs, durations and the task stream (runtime/wire/dashboard.ts). */
  | { type: "activity"; activity: HubActivity }
  | { type: "fatal"; error: ErrorInfo };

// ---- IPC: hub <-> worker ---------------------------------------------------------------------
export type HubToWorker = { type: "stop" };
export type WorkerToHub = { type: "fatal"; error: ErrorInfo } | { type: "need-kvs" };

// ---- IPC: host <-> KVS server ------------------------------------------------------------------
export type KvsToHost = { type: "ready"; endpoint: string; remote?: string } | { type: "fatal"; error: ErrorInfo };
/** The job script's bundle, once known, for `transact` (a store started before the bundle existed). */
export type HostToKvs = { type: "bundle"; path: string };

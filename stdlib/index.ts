/**
 * What job scripts import from "strmbrkr". Each export is listed by hand: this is the public API.
 */
import { KeyValueStore } from "./key-value-store.js";

export { Job, type JobFunction, type JobOptions, type JobStatus, type PipelineReport } from "../runtime/client/job.js";
export { QueueManager, type QueueManagerOptions, type BlockOptions } from "./queue-manager.js";
export type { MapOptions } from "./streams.js";
export { WorkerManager, type WorkerManagerOptions } from "./worker-manager.js";
export { KeyValueStore, type InitCacheOptions } from "./key-value-store.js";
export type { SetOptions, TransactionStore, TransactionFunction } from "../runtime/wire/transaction-store.js";
export {
  StrmbrkrError,
  ConfigError,
  ScriptError,
  JobTimeoutError,
  TransactionTimeout,
  ValueAlreadySet,
  UninitializedCache,
  CacheMiss,
  WatchdogTimeout,
  WorkerLost,
  TransactionAborted,
  Cancelled,
  Stopped,
  JobError,
  type ErrorInfo,
} from "../runtime/util/errors.js";
export type { MainContext } from "./main-context.js";
export { currentWorkerId } from "./current-worker.js";

declare global {
  /** The run's key-value store, reachable from any job without an import. */
  var KeyValueStore: typeof import("./key-value-store.js").KeyValueStore;
}
globalThis.KeyValueStore = KeyValueStore;

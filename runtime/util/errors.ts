import { describe } from "./describe.js";

/** Base of strmbrkr's named errors: each has a stable `code` to branch on. */
export class StrmbrkrError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An invalid configuration value (environment, `strmbrkr.env`, CLI flag or constructor option). */
export class ConfigError extends StrmbrkrError {
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_STRMBRKR_CONFIG", message, options);
  }
}

/** The job script could not be bundled (syntax or resolve error) or is not a usable job script. */
export class ScriptError extends StrmbrkrError {
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_STRMBRKR_SCRIPT", message, options);
  }
}

/** `QueueManager.blockUntilProcessed` ran past its timeout with jobs still out. */
export class JobTimeoutError extends StrmbrkrError {
  readonly jobsLeft: number;
  constructor(jobsLeft: number, timeoutSeconds: number) {
    super("ERR_STRMBRKR_JOB_TIMEOUT", `${jobsLeft} jobs left after waiting ${timeoutSeconds} s`);
    this.jobsLeft = jobsLeft;
  }
}

/** A KeyValueStore request got no answer within the client timeout, after every attempt. */
export class TransactionTimeout extends StrmbrkrError {
  constructor(operation: string, timeoutMs: number, attempts: number) {
    super(
      "ERR_STRMBRKR_KVS_TIMEOUT",
      `Transaction timed out: ${operation} got no answer in ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? "" : "s"})`,
    );
  }
}

/**
 * A `KeyValueStore.transact` function ran past STRMBRKR_KVS_TRANSACTION_TIMEOUT and was stopped on
 * the server; nothing it wrote was kept, and the server goes on serving.
 */
export class TransactionAborted extends StrmbrkrError {
  constructor(message: string) {
    super("ERR_STRMBRKR_KVS_TRANSACTION_ABORTED", message);
  }
}

/** `initCache` found a value already stored under the cache's name. */
export class ValueAlreadySet extends StrmbrkrError {
  constructor(message: string) {
    super("ERR_STRMBRKR_VALUE_ALREADY_SET", message);
  }
}

/** A cache operation named a key that holds no cache. */
export class UninitializedCache extends StrmbrkrError {
  constructor(message: string) {
    super("ERR_STRMBRKR_UNINITIALIZED_CACHE", message);
  }
}

/** `cacheGrab` found no record under the key. */
export class CacheMiss extends StrmbrkrError {
  constructor(message: string) {
    super("ERR_STRMBRKR_CACHE_MISS", message);
  }
}

/** A job ran past its watchdog limit; its worker was killed and replaced. */
export class WatchdogTimeout extends StrmbrkrError {
  constructor(message: string) {
    super("ERR_STRMBRKR_WATCHDOG", message);
  }
}

/** The worker running a job died (signal, exit, out of memory) before it answered. */
export class WorkerLost extends StrmbrkrError {
  constructor(message: string) {
    super("ERR_STRMBRKR_WORKER_LOST", message);
  }
}

/** A job was cancelled (`QueueManager.cancel`, an AbortSignal) before it finished. */
export class Cancelled extends StrmbrkrError {
  constructor(message: string) {
    super("ERR_STRMBRKR_CANCELLED", message);
  }
}

/**
 * Work stopped before it finished: a `submit` still out when `stopHandling()` came (under
 * `strmbrkr run`, when `main` returned), or a broker or store asked for while the run stops.
 */
export class Stopped extends StrmbrkrError {
  constructor(message: string) {
    super("ERR_STRMBRKR_STOPPED", message);
  }
}

/**
 * A job awaited through `QueueManager.submit`/`map` failed. `remote` is the error the job threw
 * (`{ name, message, stack, code? }`); `stack` is the remote, source-mapped stack (it points at the
 * job script's line); `cause` is that error rebuilt (same class for the known ones).
 */
export class JobError extends StrmbrkrError {
  readonly jobId: string;
  readonly remote: ErrorInfo;
  constructor(jobId: string, remote: ErrorInfo) {
    super("ERR_STRMBRKR_JOB", `Job ${jobId} failed: ${remote.name}: ${remote.message}`, { cause: fromErrorInfo(remote) });
    this.jobId = jobId;
    this.remote = remote;
    if (remote.stack) this.stack = remote.stack;
  }
}

/** How an error crosses a process boundary. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  /**
   * When the job threw something that is not an Error (`throw { code: 42 }`): its structured clone,
   * as a job's return value travels (a class instance arrives as a plain object). Absent when it
   * cannot be sent (a function) or is over STRMBRKR_MAX_MESSAGE_BYTES; the message still shows it.
   */
  thrown?: unknown;
}

export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, stack: error.stack, ...(typeof code === "string" ? { code } : {}) };
  }
  return { name: "Error", message: `non-Error value thrown: ${describe(error)}` };
}

/**
 * An error strmbrkr raises about a job, not one its code threw (a lost worker, a result too big to
 * send): its stack is only its first line, since the real one would show strmbrkr's code.
 */
export function stacklessErrorInfo(error: Error): ErrorInfo {
  return { ...toErrorInfo(error), stack: `${error.name}: ${error.message}` };
}

const REBUILT: Record<string, new (message: string) => Error> = {
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  ValueAlreadySet,
  UninitializedCache,
  CacheMiss,
  WatchdogTimeout,
  WorkerLost,
  TransactionAborted,
  Cancelled,
};

/** Rebuilds a known error class from its wire form, so callers can use `instanceof`. */
export function fromErrorInfo(info: ErrorInfo): Error {
  const Class = REBUILT[info.name];
  const error = Class ? new Class(info.message) : Object.assign(new Error(info.message), { name: info.name });
  if (info.stack) error.stack = info.stack;
  if (info.code && !(error as { code?: string }).code) Object.assign(error, { code: info.code });
  if ("thrown" in info) Object.assign(error, { thrown: info.thrown });
  return error;
}

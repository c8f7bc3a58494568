// The options of the commands that host a run (`run`, `map`), as one table: yargs' definitions
// (session.ts), their parsed type (SessionArgs) and the reading of a `strmbrkr run` line without
// yargs (run-check.ts) all derive from it, so a flag added here is known to all three.
import { LOG_LEVELS, type RawOptions } from "../runtime/config/config.js";

export interface SessionFlag {
  /** Strings, so a bad value reaches the one validator (runtime/config) intact ("five", not NaN). */
  type: "string" | "boolean";
  alias?: string;
  default?: boolean;
  /** The flag alone (an empty value) is a usage error: the early check need not start the run (run-check.ts). */
  needsValue?: boolean;
  describe: string;
}

export const SESSION_FLAGS = {
  workers: {
    type: "string",
    alias: "w",
    needsValue: true,
    describe: "Worker processes [default: STRMBRKR_WORKER_PROC_COUNT or 4]",
  },
  watchdog: {
    type: "string",
    needsValue: true,
    describe: "Seconds a job may run before its worker is killed; 0 disables [default: STRMBRKR_WORKER_WATCHDOG_TERMINATE_AFTER or 15]",
  },
  protocol: {
    type: "string",
    needsValue: true,
    describe:
      "Transport of the broker's and the store's zeromq sockets (zeromq clients; this run's own processes use unix sockets): tcp (loopback) or ipc (private socket files) [default: STRMBRKR_SOCKET_PROTOCOL or tcp]",
  },
  "log-level": {
    type: "string",
    needsValue: true,
    describe: `Log level: ${LOG_LEVELS.join(", ")} [default: STRMBRKR_LOGGING_LEVEL or INFO]`,
  },
  "kvs-snapshot": {
    type: "string",
    describe:
      "File the key-value store loads at start and saves to at exit and every STRMBRKR_KVS_SNAPSHOT_INTERVAL s [default: STRMBRKR_KVS_SNAPSHOT or none]",
  },
  listen: {
    type: "string",
    needsValue: true,
    describe:
      "Also accept remote workers (`strmbrkr worker`) on tcp://HOST:PORT and the next three ports; PORT * picks free ones [default: local only]",
  },
  "authorized-keys": {
    type: "string",
    needsValue: true,
    describe: "With --listen: file of the public keys (one per line) of the workers admitted",
  },
  key: {
    type: "string",
    needsValue: true,
    describe: "With --listen: this host's key pair file (`strmbrkr keygen`) [default: a new key each run, printed at start]",
  },
  insecure: {
    type: "boolean",
    describe: "With --listen: no keys, no encryption; anyone who reaches the port can take jobs (warns at every start)",
  },
  dashboard: {
    type: "string",
    describe:
      "Serve a live dashboard of the run on [HOST:]PORT (alone: 127.0.0.1, a free port); the address, with its token, is printed at start [default: STRMBRKR_DASHBOARD or none]",
  },
  metrics: {
    type: "string",
    describe: "Serve Prometheus /metrics on [HOST:]PORT (with --dashboard: on its port too) [default: STRMBRKR_METRICS or none]",
  },
  journal: {
    type: "string",
    describe:
      "Append a record of every job queued and finished to FILE (docs/journal.md); with --resume, jobs it holds a result for are not run again [default: STRMBRKR_JOURNAL or none]",
  },
  // "" (the flag alone) or "any".
  resume: {
    type: "string",
    describe:
      "With --journal: answer each job the journal holds a processed result for (same function, same arguments, same bundle) from it, run the rest; --resume=any also when the script changed",
  },
  progress: {
    type: "boolean",
    default: true,
    describe: "Show a live progress line on stderr when it is a terminal (--no-progress to hide)",
  },
  typecheck: {
    type: "boolean",
    describe:
      "Type-check the script with TypeScript first; a type error stops the run (exit 2) before any process starts [default: false: esbuild only strips types]",
  },
} as const satisfies Record<string, SessionFlag>;

/** How yargs reads a command line (cli/main.ts): what follows `--` kept apart, as strings. cli/run-check.ts reads a `run` line the same way. */
export const PARSER_CONFIGURATION = { "populate--": true, "parse-positional-numbers": false } as const;

type Flags = typeof SESSION_FLAGS;
type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;
type Value<F extends SessionFlag> = F["type"] extends "boolean" ? boolean : string;

/** The parsed options, as yargs hands them to a handler: camelCase names; optional unless they have a default. */
export type SessionArgs = { [K in keyof Flags as Flags[K] extends { default: unknown } ? never : Camel<K>]?: Value<Flags[K]> } & {
  [K in keyof Flags as Flags[K] extends { default: unknown } ? Camel<K> : never]: Value<Flags[K]>;
};

/** What the flags set of the configuration (runtime/config), which resolves them with the environment's. */
export function configOverrides(args: Partial<SessionArgs>): RawOptions {
  return {
    workerProcCount: args.workers,
    workerWatchdogTerminateAfter: args.watchdog,
    socketProtocol: args.protocol,
    loggingLevel: args.logLevel,
    kvsSnapshot: args.kvsSnapshot,
    // Alone (`--dashboard`), the flag means loopback, a free port.
    dashboard: args.dashboard === "" ? "0" : args.dashboard,
    metrics: args.metrics === "" ? "0" : args.metrics,
    journal: args.journal,
  };
}

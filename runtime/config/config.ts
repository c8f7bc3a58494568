import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { ConfigError } from "../util/errors.js";
import { editDistance } from "../util/edit-distance.js";

/** Log levels, in the original's (Python logging's) names and order. */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type Protocol = "tcp" | "ipc";

/** Every option, as a caller may give it (all optional). */
export interface Options {
  loggingLevel?: LogLevel;
  configLogLevel?: LogLevel;
  workerProcCount?: number;
  /** Seconds a job may run before its worker is killed; 0 disables the watchdog. */
  workerWatchdogTerminateAfter?: number;
  kvsClientSocketTimeout?: number;
  kvsClientSocketAttempts?: number;
  kvsDumpPipelineStatusReports?: boolean;
  socketProtocol?: Protocol;
  instanceId?: string;
  /** Times a job may lose its worker (crash, kill) before it comes back FAILED instead of re-dispatched. */
  jobMaxLost?: number;
  /** A worker whose resident memory passes this many MiB is replaced between jobs; 0: never. */
  workerMaxMemoryMb?: number;
  /** Seconds in-flight jobs get to finish after Ctrl-C or SIGTERM before their workers are killed. */
  shutdownGrace?: number;
  /** Largest job argument list or message frame accepted, in bytes. */
  maxMessageBytes?: number;
  /** Seconds between heartbeats from each worker to the broker. */
  heartbeatInterval?: number;
  /** Heartbeats a worker may miss before the broker checks on it (and declares it lost if it is not running). */
  heartbeatLiveness?: number;
  /** Seconds `startWorkers()` waits for every worker to load the script and check in; 0: forever. */
  workerStartTimeout?: number;
  /** Largest encoded KVS request arguments (a value with its key), in bytes. */
  kvsMaxValueBytes?: number;
  /** Milliseconds a `KeyValueStore.transact` function may run on the server before it is stopped. */
  kvsTransactionTimeout?: number;
  /** Snapshot file the store loads at start and saves to (absolute once resolved); "" for none. */
  kvsSnapshot?: string;
  /** Seconds between snapshots while running; 0: only at exit. */
  kvsSnapshotInterval?: number;
  /** Where the live dashboard (and /metrics) listens, `HOST:PORT` (port 0: a free one); "" for none. */
  dashboard?: string;
  /** Where /metrics alone listens, when there is no dashboard; "" for none. */
  metrics?: string;
  /** The run's journal (docs/journal.md), absolute once resolved; "" for none. */
  journal?: string;
  /**
   * Microseconds a process that awaits an answer (a lone job's result, a worker's next job, a
   * store call's reply, the store's next request) polls before it sleeps (runtime/util/spin-wait.ts); 0: never.
   */
  spinWait?: number;
}
export type Config = Readonly<Required<Options>>;
/** Options as text from a command line, or typed from code: both go through the same parsers. */
export type RawOptions = { [K in keyof Options]?: Options[K] | string };

type Parser = (raw: string) => unknown;

/** The original's nine options and strmbrkr's own: environment name, default, parser. */
const OPTIONS: { [K in keyof Options]-?: { env: string; fallback: () => Config[K]; parse: Parser } } = {
  loggingLevel: { env: "STRMBRKR_LOGGING_LEVEL", fallback: () => "INFO", parse: parseLevel },
  configLogLevel: { env: "STRMBRKR_CONFIG_LOG_LEVEL", fallback: () => "DEBUG", parse: parseLevel },
  workerProcCount: { env: "STRMBRKR_WORKER_PROC_COUNT", fallback: () => 4, parse: parseWorkerCount },
  workerWatchdogTerminateAfter: {
    env: "STRMBRKR_WORKER_WATCHDOG_TERMINATE_AFTER",
    fallback: () => 15,
    parse: (raw) => parseNumber(raw, 0),
  },
  kvsClientSocketTimeout: { env: "STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT", fallback: () => 500, parse: (raw) => parseInteger(raw, 1) },
  kvsClientSocketAttempts: { env: "STRMBRKR_KVS_CLIENT_SOCKET_ATTEMPTS", fallback: () => 1, parse: (raw) => parseInteger(raw, 1) },
  kvsDumpPipelineStatusReports: { env: "STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS", fallback: () => false, parse: parseBoolean },
  socketProtocol: { env: "STRMBRKR_SOCKET_PROTOCOL", fallback: () => "tcp", parse: parseProtocol },
  instanceId: { env: "STRMBRKR_INSTANCE_ID", fallback: () => String(process.pid), parse: parseInstanceId },
  jobMaxLost: { env: "STRMBRKR_JOB_MAX_LOST", fallback: () => 1, parse: (raw) => parseInteger(raw, 0) },
  workerMaxMemoryMb: { env: "STRMBRKR_WORKER_MAX_MEMORY_MB", fallback: () => 0, parse: (raw) => parseNumber(raw, 0) },
  shutdownGrace: { env: "STRMBRKR_SHUTDOWN_GRACE", fallback: () => 10, parse: (raw) => parseNumber(raw, 0) },
  maxMessageBytes: { env: "STRMBRKR_MAX_MESSAGE_BYTES", fallback: () => 64 * 1024 * 1024, parse: (raw) => parseInteger(raw, 1024) },
  heartbeatInterval: { env: "STRMBRKR_HEARTBEAT_INTERVAL", fallback: () => 1, parse: (raw) => parseNumber(raw, 0.01) },
  heartbeatLiveness: { env: "STRMBRKR_HEARTBEAT_LIVENESS", fallback: () => 3, parse: (raw) => parseInteger(raw, 1) },
  workerStartTimeout: { env: "STRMBRKR_WORKER_START_TIMEOUT", fallback: () => 60, parse: (raw) => parseNumber(raw, 0) },
  kvsMaxValueBytes: { env: "STRMBRKR_KVS_MAX_VALUE_BYTES", fallback: () => 64 * 1024 * 1024, parse: (raw) => parseInteger(raw, 1024) },
  kvsTransactionTimeout: { env: "STRMBRKR_KVS_TRANSACTION_TIMEOUT", fallback: () => 200, parse: (raw) => parseInteger(raw, 1) },
  kvsSnapshot: { env: "STRMBRKR_KVS_SNAPSHOT", fallback: () => "", parse: (raw) => (raw === "" ? "" : resolve(raw)) },
  kvsSnapshotInterval: { env: "STRMBRKR_KVS_SNAPSHOT_INTERVAL", fallback: () => 60, parse: (raw) => parseNumber(raw, 0) },
  dashboard: { env: "STRMBRKR_DASHBOARD", fallback: () => "", parse: parseHttpAddress },
  metrics: { env: "STRMBRKR_METRICS", fallback: () => "", parse: parseHttpAddress },
  journal: { env: "STRMBRKR_JOURNAL", fallback: () => "", parse: (raw) => (raw === "" ? "" : resolve(raw)) },
  spinWait: { env: "STRMBRKR_SPIN_WAIT", fallback: () => 200, parse: (raw) => parseIntegerUpTo(raw, 0, 10_000) },
};

/** Command-line flags of `strmbrkr run` that set an option, for error messages. */
const FLAGS: Partial<Record<keyof Options, string>> = {
  loggingLevel: "log-level",
  workerProcCount: "workers",
  workerWatchdogTerminateAfter: "watchdog",
  socketProtocol: "protocol",
  kvsSnapshot: "kvs-snapshot",
  dashboard: "dashboard",
  metrics: "metrics",
  journal: "journal",
};

/** Environment names of the options, for `--help` and the docs. */
export const OPTION_ENV_NAMES = Object.fromEntries(Object.entries(OPTIONS).map(([key, spec]) => [key, spec.env])) as Record<
  keyof Options,
  string
>;

/**
 * STRMBRKR_ variables strmbrkr reads that are not options: set by strmbrkr itself, or read by one
 * command only. Any other STRMBRKR_ name, in the environment or in `strmbrkr.env`, is warned about.
 */
const OTHER_ENV_NAMES = [
  "STRMBRKR_RUNTIME", // a child process's RuntimeContext (runtime/wire/context.ts RUNTIME_ENV)
  "STRMBRKR_EXTRA_CA_CERTS", // NODE_EXTRA_CA_CERTS, kept aside in the hub for its workers (runtime/transport/children.ts)
  "STRMBRKR_GLIBC_TUNABLES", // the user's GLIBC_TUNABLES, kept aside in the processes started with strmbrkr's (the same)
  "STRMBRKR_CPU_PROF_DIR", // CPU profiles of every process (runtime/transport/children.ts)
  "STRMBRKR_CACHE_DIR", // the bundle cache (runtime/util/bundle-cache.ts)
  "STRMBRKR_BENCH_TAG", // marks the benchmark's processes (bench/)
  "STRMBRKR_DASHBOARD_TOKEN", // the dashboard's token, when it must stay the same (runtime/dashboard/token.ts)
  "STRMBRKR_CHROMIUM", // the browser the dashboard's tests and screenshots drive (scripts/ensure-chromium.sh)
];

export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Folder holding `strmbrkr.env`; default the current directory. */
  cwd?: string;
  /** Highest precedence: CLI flags or constructor arguments. */
  overrides?: RawOptions;
  /** Told, one line each, of STRMBRKR_ names that are no setting (a misspelling, most likely); default: not told. */
  warn?: (message: string) => void;
}

/**
 * Resolves the configuration: overrides, then the environment, then `strmbrkr.env`, then defaults.
 * Throws ConfigError naming the option and the value (and the file and line) when one is invalid.
 */
export function resolveConfig({ env = process.env, cwd = process.cwd(), overrides = {}, warn }: ConfigSources = {}): Config {
  const file = readEnvFile(join(cwd, ENV_FILE), ENV_FILE);
  if (warn) {
    for (const [name, { line }] of file) if (name.startsWith("STRMBRKR_")) warnIfUnknown(`${ENV_FILE}:${line}: `, name, "", warn);
    for (const name of Object.keys(env))
      if (name.startsWith("STRMBRKR_") && !file.has(name)) warnIfUnknown("", name, " in the environment", warn);
  }
  const resolved: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(OPTIONS) as [keyof Options, (typeof OPTIONS)[keyof Options]][]) {
    const override = overrides[key];
    if (override !== undefined) {
      resolved[key] = parseOption(`${FLAGS[key] ? `--${FLAGS[key]} ` : ""}(${spec.env})`, String(override), spec.parse);
      continue;
    }
    const fromEnv = env[spec.env];
    const fromFile = fromEnv === undefined ? file.get(spec.env) : undefined;
    const raw = fromEnv ?? fromFile?.value;
    const where = fromFile ? `${ENV_FILE}:${fromFile.line}: ` : "";
    resolved[key] = raw === undefined || raw === "" ? spec.fallback() : parseOption(`${where}${spec.env}`, raw, spec.parse);
  }
  return Object.freeze(resolved) as Config;
}

const ENV_FILE = "strmbrkr.env";
const KNOWN_ENV_NAMES = new Set([...Object.values(OPTIONS).map((spec) => spec.env), ...OTHER_ENV_NAMES]);

function warnIfUnknown(before: string, name: string, after: string, warn: (message: string) => void): void {
  if (KNOWN_ENV_NAMES.has(name)) return;
  const guess = closestName(name);
  warn(`${before}${name}${after} is not a strmbrkr setting; it is ignored${guess ? ` (did you mean ${guess}?)` : ""}`);
}

/** The known name nearest `name` (edit distance), if it is near: a few letters off, or a word in common. */
function closestName(name: string): string | undefined {
  const words = (text: string) =>
    text
      .slice("STRMBRKR_".length)
      .split("_")
      .filter((word) => word.length >= 4);
  let best: { name: string; distance: number } | undefined;
  for (const known of KNOWN_ENV_NAMES) {
    const distance = editDistance(name, known);
    const shared = words(name).some((word) => words(known).some((other) => word.startsWith(other) || other.startsWith(word)));
    if ((distance <= 3 || shared) && (!best || distance < best.distance)) best = { name: known, distance };
  }
  return best?.name;
}

function parseOption(name: string, raw: string, parse: Parser): unknown {
  try {
    return parse(raw.trim());
  } catch (error) {
    throw new ConfigError(`${name}: ${JSON.stringify(raw)} ${(error as Error).message}`);
  }
}

/**
 * Reads a dotenv file: `KEY=VALUE` lines, `#` comments, blank lines, `export ` prefixes; each value
 * as Node's own dotenv parser reads it (`util.parseEnv`: quotes, a trailing ` # comment`). Lines
 * are taken one at a time, so that errors can name theirs: a value spans one line. `name` is how
 * errors name the file.
 */
export function readEnvFile(path: string, name = path): Map<string, { value: string; line: number }> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw new ConfigError(`${name}: cannot be read (${(error as Error).message})`);
  }
  const entries = new Map<string, { value: string; line: number }>();
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
    if (!match) throw new ConfigError(`${name}:${index + 1}: expected KEY=VALUE, got ${JSON.stringify(trimmed)}`);
    // The key and `export ` are ours to read (Node 20's parser keeps spaces in keys); the value, Node's.
    entries.set(match[1]!, { value: parseEnv(`VALUE=${match[2]!}`).VALUE ?? "", line: index + 1 });
  });
  return entries;
}

function parseLevel(raw: string): LogLevel {
  const upper = raw.toUpperCase() === "WARN" ? "WARNING" : raw.toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(upper)) throw new Error(`is not a log level (${LOG_LEVELS.join(", ")})`);
  return upper as LogLevel;
}

function parseNumber(raw: string, min: number): number {
  const value = Number(raw);
  if (raw === "" || !Number.isFinite(value)) throw new Error("is not a number");
  if (value < min) throw new Error(`must be at least ${min}`);
  return value;
}

function parseInteger(raw: string, min: number): number {
  if (!/^[+-]?\d+$/.test(raw)) throw new Error("is not an integer");
  return parseNumber(raw, min);
}

function parseIntegerUpTo(raw: string, min: number, max: number): number {
  const value = parseInteger(raw, min);
  if (value > max) throw new Error(`must be at most ${max}`);
  return value;
}

const BOOLEANS: Record<string, boolean> = { true: true, "1": true, yes: true, on: true, false: false, "0": false, no: false, off: false };
/** 0 is let through for `strmbrkr run --listen` (every job on remote workers); everywhere else it is refused where used. */
function parseWorkerCount(raw: string): number {
  if (!/^[+-]?\d+$/.test(raw)) throw new Error("is not an integer");
  const value = Number(raw);
  if (value < 0) throw new Error("must be at least 1 (or 0 with --listen)");
  return value;
}

function parseBoolean(raw: string): boolean {
  const value = BOOLEANS[raw.toLowerCase()];
  if (value === undefined) throw new Error("is not a boolean (true/false, 1/0, yes/no)");
  return value;
}

function parseProtocol(raw: string): Protocol {
  const lower = raw.toLowerCase();
  if (lower !== "tcp" && lower !== "ipc") throw new Error("is not a socket protocol (tcp, ipc)");
  return lower;
}

/** `[HOST:]PORT` (an IPv6 host in brackets) as `HOST:PORT`; the host defaults to 127.0.0.1, port 0 picks a free one. */
export function parseHttpAddress(raw: string): string {
  const match = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(raw);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) throw new Error("is not [HOST:]PORT (e.g. 8787, 127.0.0.1:8787, 0.0.0.0:0; port 0 picks a free one)");
  return `${match[1] ?? "127.0.0.1"}:${port}`;
}

function parseInstanceId(raw: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(raw)) throw new Error("must be 1-64 letters, digits, '.', '_' or '-'");
  return raw;
}

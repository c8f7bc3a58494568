import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { ConfigError } from "../runtime/util/errors.js";
import { LOG_LEVELS, resolveConfig } from "../runtime/config/config.js";
import { setLogLevel } from "../runtime/config/logger.js";
import { defaultCacheDir } from "../runtime/util/bundle-cache.js";
import { pruneCaches } from "../runtime/util/cache-prune.js";
import type { SupervisorOptions } from "../runtime/supervisor/supervisor.js";
import { fail, numberFlag, warn } from "./report.js";

interface WorkerArgs {
  connect: string;
  workers?: string;
  key?: string;
  serverKey?: string;
  insecure: boolean;
  cacheDir?: string;
  persist: boolean;
  giveUp: string;
  logLevel?: string;
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: "worker",
  describe: "Join a `strmbrkr run --listen` on another machine: fetch its job script and run its jobs here",
  builder: (yargs) =>
    (yargs as Argv<object>)
      .option("connect", {
        type: "string",
        demandOption: true,
        describe: "The host's --listen address as reachable from here, e.g. tcp://10.0.0.5:5555",
      })
      .option("workers", {
        alias: "w",
        type: "string",
        describe: "Worker processes on this machine [default: STRMBRKR_WORKER_PROC_COUNT or 4]",
      })
      .option("key", {
        type: "string",
        describe: "This worker's key pair file (from `strmbrkr keygen`); its .pub must be in the host's --authorized-keys",
      })
      .option("server-key", {
        type: "string",
        describe: "The host's public key (as --server-key='KEY': a key may start with -), or its .pub file",
      })
      .option("insecure", {
        type: "boolean",
        default: false,
        describe: "Connect without keys to a host run with --insecure: no authentication, no encryption",
      })
      .option("cache-dir", {
        type: "string",
        describe: "Where fetched bundles are kept [default: STRMBRKR_CACHE_DIR, else ~/.cache/strmbrkr/bundles]",
      })
      .option("persist", {
        type: "boolean",
        default: false,
        describe: "When the run ends, wait for the next one instead of exiting (and never give up on a silent host)",
      })
      .option("give-up", {
        type: "string",
        default: "300",
        describe: "Exit 1 after this many seconds without an answer from the host (before a run, or after it fell silent); 0: never",
      })
      .option("log-level", { type: "string", describe: `Log level: ${LOG_LEVELS.join(", ")} [default: STRMBRKR_LOGGING_LEVEL or INFO]` })
      .example(
        "$0 worker --connect tcp://10.0.0.5:5555 --key node7.key --server-key host.pub -w 16",
        "Join with 16 workers",
      ) as unknown as Argv<WorkerArgs>,
  handler: (args) => worker(args),
};

async function worker(args: ArgumentsCamelCase<WorkerArgs>): Promise<void> {
  // zeromq and the supervisor load only here: every command's start would pay for them otherwise.
  const [{ WorkerSupervisor }, keys] = await Promise.all([
    import("../runtime/supervisor/supervisor.js"),
    import("../runtime/transport/key-files.js"),
  ]);
  let options: SupervisorOptions;
  try {
    options = resolveWorkerOptions(args, keys);
  } catch (error) {
    return fail(2, (error as Error).message);
  }
  setLogLevel(options.config.loggingLevel);
  if (!options.curve)
    process.stderr.write(
      "strmbrkr: WARNING: --insecure: this worker runs whatever code the host at the other end sends, over an unauthenticated, unencrypted connection\n",
    );
  const supervisor = new WorkerSupervisor(options);
  const leave = () => void supervisor.stop();
  process.on("SIGINT", leave);
  process.on("SIGTERM", leave);
  const { code, message } = await supervisor.finished;
  if (message) process.stderr.write(`strmbrkr worker: ${message}\n`);
  pruneCaches(options.cacheDir); // once a day at most, with every worker gone
  process.exit(code);
}

function resolveWorkerOptions(
  args: WorkerArgs,
  { readKeyPair, readPublicKey }: typeof import("../runtime/transport/key-files.js"),
): SupervisorOptions {
  if (!/^tcp:\/\/[^:/]+:\d+$/.test(args.connect))
    throw new ConfigError(`--connect ${JSON.stringify(args.connect)}: expected tcp://HOST:PORT`);
  const config = resolveConfig({ overrides: { workerProcCount: args.workers, loggingLevel: args.logLevel }, warn });
  if (config.workerProcCount < 1)
    throw new ConfigError(`--workers (STRMBRKR_WORKER_PROC_COUNT): "${config.workerProcCount}" must be at least 1`);
  const giveUpMs = args.persist ? 0 : numberFlag("--give-up", args.giveUp, { min: 0 }) * 1000;
  const common = {
    connect: args.connect,
    workers: config.workerProcCount,
    cacheDir: args.cacheDir ?? defaultCacheDir(),
    persist: args.persist,
    giveUpMs,
    config,
  };
  if (args.insecure) {
    if (args.key !== undefined || args.serverKey !== undefined)
      throw new ConfigError("--insecure turns keys off: drop --key and --server-key, or drop --insecure");
    return common;
  }
  if (args.key === undefined || args.serverKey === undefined) {
    throw new ConfigError(
      "a worker needs --key FILE (its key pair, from `strmbrkr keygen`) and --server-key KEY|FILE (the host's public key), or --insecure",
    );
  }
  const pair = readKeyPair(args.key, "--key");
  return { ...common, curve: { serverKey: readPublicKey(args.serverKey, "--server-key"), ...pair } };
}

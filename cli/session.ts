import type { Argv } from "yargs";
import { ConfigError, ScriptError } from "../runtime/util/errors.js";
import { installContext } from "../runtime/client/context.js";
import { resolveConfig } from "../runtime/config/config.js";
import { HostContext } from "../runtime/host/host-context.js";
import { checkSnapshot } from "../runtime/kvs/snapshot.js";
import { Journal, type ResumeMode } from "../runtime/host/journal.js";
import { JournalError } from "../runtime/host/journal-format.js";
import type { ListenContext } from "../runtime/wire/context.js";
import { getLogger } from "../runtime/config/logger.js";
import { runStats } from "../runtime/util/stats.js";
import { pruneCaches } from "../runtime/util/cache-prune.js";
import { startProgress, type ProgressCounts } from "./progress.js";
import { fail, printError, warn } from "./report.js";
import { configOverrides, SESSION_FLAGS, type SessionArgs, type SessionFlag } from "./session-flags.js";
import type { Run } from "./script-run.js";
import type { RunDashboard } from "../runtime/dashboard/start.js";

/** The options every command that hosts a run takes (`run`, `map`): SESSION_FLAGS. */
export function sessionOptions<T>(yargs: Argv<T>): Argv<T & SessionArgs> {
  let options: Argv<T> = yargs;
  for (const [name, flag] of Object.entries(SESSION_FLAGS) as [string, SessionFlag][]) {
    const { needsValue: _, ...option } = flag;
    options = options.option(name, option);
  }
  return options as Argv<T & SessionArgs>;
}

export interface Session<T> {
  script: string;
  /** Checks the script's exports before any worker starts; throws ScriptError to refuse them. */
  prepare(exports: Record<string, unknown>): T;
  /**
   * Does the work with the running workers; resolves with the exit code. `progress` is true when the
   * progress line is shown: its closing summary then gives the counts, so `use` need not repeat them.
   */
  use(prepared: T, run: Run, shown: { progress: boolean }): Promise<number>;
  /** What the progress line counts, if not jobs. */
  counts?: () => ProgressCounts;
  /** Whether jobs still out when `use` settles are news (main returned early), or expected (map stopped by `| head`). */
  warnUnfinished: boolean;
}

/**
 * Hosts one run: configuration, the script's bundle, the broker, the KVS and the workers, Ctrl-C
 * handling, the progress line; then stops every process and exits with the code `use` gave
 * (2 for configuration and script errors, 1 when it threw).
 */
export async function hostSession<T>(args: SessionArgs, session: Session<T>): Promise<never> {
  process.setSourceMapsEnabled(true);
  const overrides = configOverrides(args);
  let instance: HostContext;
  let listen: ListenContext | undefined;
  let journal: Journal | undefined;
  try {
    instance = installContext(new HostContext(resolveConfig({ overrides, warn })));
    const flags = { listen: args.listen, key: args.key, authorizedKeys: args.authorizedKeys, insecure: args.insecure };
    // The remote-worker modules (and zeromq) load only for a run that names one of their flags.
    listen = Object.values(flags).some((flag) => flag !== undefined && flag !== false)
      ? (await import("../runtime/remote/listen.js")).resolveListen(flags)
      : undefined;
    if (instance.config.workerProcCount === 0 && !listen)
      throw new ConfigError(
        `--workers (STRMBRKR_WORKER_PROC_COUNT): "0" must be at least 1 (or 0 with --listen: every job on remote workers)`,
      );
    getLogger("config").log(instance.config.configLogLevel, `configuration: ${JSON.stringify(instance.config)}`);
    if (instance.config.kvsSnapshot) checkSnapshot(instance.config.kvsSnapshot); // before any process starts
    const resume = resumeMode(args.resume);
    if (resume && !instance.config.journal)
      throw new ConfigError("--resume needs --journal FILE (or STRMBRKR_JOURNAL): the journal to resume");
    if (instance.config.journal) journal = Journal.open(instance.config.journal, resume); // before any process starts
  } catch (error) {
    return fail(2, (error as Error).message);
  }
  if (args.typecheck) await typecheck(session.script);
  if (listen) {
    instance.listenForWorkers(listen);
    if (!listen.curve)
      process.stderr.write(
        `strmbrkr: WARNING: --insecure: anyone who can reach ${listen.address} can take jobs, read the job script and the key-value store, and send results; nothing is encrypted\n`,
      );
  }
  let dashboard: RunDashboard | undefined;
  const interrupts = handleInterrupts(instance, { stopping: () => dashboard?.stopping(), close: async () => dashboard?.close() });
  const exit = async (code: number): Promise<never> => {
    // Ctrl-C or SIGTERM is ending the run: its handler exits (130 / 143) once the running jobs are done.
    if (interrupts.interrupted) return new Promise<never>(() => {});
    await dashboard?.close();
    await instance.shutdown().catch(() => {});
    pruneCaches(); // once a day at most, with every process of the run gone
    process.exit(code);
  };

  let prepared: T;
  let host: typeof import("./script-run.js");
  let listening: Promise<Listening> | undefined;
  try {
    const bundle = await instance.useScript(session.script); // a bundle error stops the run before any process starts
    if (journal) beginJournal(instance, journal, bundle.path, bundle.script); // a journal it cannot resume, too
    // The broker starts now, and boots while this process loads the runtime and the script.
    const hubReady = instance.hub().ready;
    hubReady.catch(() => {});
    // The store starts once the workers are up (WorkerManager), unless remote workers or a snapshot need it now.
    // With --listen both bind their ports now; the run waits for both (or the first failure) before main.
    if (listen) {
      listening = Promise.all([hubReady, instance.kvsEndpoint()]).then(([{ gateway }]) => ({
        gateway: gateway!,
        store: instance.remoteKvsEndpoint,
      }));
      listening.catch(() => {});
    } else if (instance.config.kvsSnapshot) instance.startKvs();
    host = await import("./script-run.js");
    prepared = session.prepare(await host.loadScript(instance, session.script));
  } catch (error) {
    if (error instanceof ScriptError || error instanceof ConfigError || error instanceof JournalError) {
      process.stderr.write(`strmbrkr: ${error.message}\n`);
      return exit(2);
    }
    printError(`${session.script} threw while loading:`, error);
    return exit(1);
  }

  if (instance.config.dashboard || instance.config.metrics) {
    try {
      dashboard = await (await import("../runtime/dashboard/start.js")).startDashboard(instance, session.script);
    } catch (error) {
      process.stderr.write(`strmbrkr: ${(error as Error).message}\n`);
      return exit(1);
    }
  }
  if (listen && listening) {
    try {
      announce(listen, await listening);
    } catch (error) {
      // One line for the first port that failed (the hub's or the store's); the other's failure, if any, is not news.
      process.stderr.write(`strmbrkr: ${(error as Error).message}\n`);
      return exit(1);
    }
  }
  let started: Run;
  try {
    started = await host.startRun();
  } catch (error) {
    printError("the workers could not start:", error);
    return exit(1);
  }
  const progress = args.progress && process.stderr.isTTY ? startProgress(session.counts) : undefined;
  let code: number;
  try {
    code = await session.use(prepared, started, { progress: progress !== undefined });
  } catch (error) {
    progress?.stop();
    printError("main failed:", error);
    code = 1;
  }
  progress?.stop();
  dashboard?.stopping();
  instance.beginShutdown();
  if (session.warnUnfinished) warnUnfinished(code === 0 ? "returned" : "threw");
  process.on("unhandledRejection", unlessStopped);
  await host.stopRun(started);
  return exit(code);
}

/** `--resume` alone, or `--resume=any`. */
function resumeMode(flag: string | undefined): ResumeMode | undefined {
  if (flag === undefined) return undefined;
  if (flag === "" || flag === "same") return "same";
  if (flag === "any") return "any";
  throw new ConfigError(
    `--resume: ${JSON.stringify(flag)} is not a resume mode: --resume alone (the same bundle's results) or --resume=any`,
  );
}

/** The bundle is built: the journal checks it, says what it reuses, and from now on hears of every job. */
function beginJournal(instance: HostContext, journal: Journal, bundlePath: string, script: string): void {
  const { reusable } = journal.begin(bundlePath, script);
  if (reusable > 0) process.stderr.write(`strmbrkr: resuming from ${journal.path}: ${reusable} processed results recorded\n`);
  instance.jobEvents = journal;
}

/** `--typecheck`: the script's type errors, one `file:line:col: error TSnnnn: message` line each, and exit 2. */
async function typecheck(script: string): Promise<void> {
  let errors: string[];
  try {
    await (await import("../runtime/host/bundle.js")).checkScript(script); // "no such file" in one line, not as a TypeScript error
    errors = await (await import("../runtime/host/typecheck.js")).typecheckScript(script);
  } catch (error) {
    return fail(2, (error as Error).message);
  }
  if (errors.length === 0) return;
  process.stderr.write(`${errors.join("\n")}\n`);
  fail(2, `${script}: ${errors.length} type error${errors.length === 1 ? "" : "s"} (--typecheck); not run`);
}

/** Where the --listen sockets are bound: the gateway, and the store's for `strmbrkr kvs --connect`. */
interface Listening {
  gateway: string;
  store?: string;
}

/**
 * `main` may return with jobs still out (it forgot to await them, or gave up waiting): they are
 * stopped with the run, and one line says so, in the words of the Ctrl-C report. The exit code
 * stays main's.
 */
function warnUnfinished(how: "returned" | "threw"): void {
  const { queued, processed, failed } = runStats;
  const unfinished = queued - processed - failed;
  if (unfinished === 0) return;
  process.stderr.write(
    `strmbrkr: WARNING: main ${how} with ${unfinished} ${unfinished === 1 ? "job" : "jobs"} not finished (${processed} processed, ${failed} failed); they were stopped and their results dropped: await them (queue.blockUntilProcessed(), each submit) before main returns\n`,
  );
}

/**
 * As the run stops, the promises the script left behind reject with Stopped: one nobody handles is
 * the news of warnUnfinished's line, not a crash with a stack into strmbrkr's files.
 */
function unlessStopped(reason: unknown): void {
  if ((reason as { code?: unknown } | null)?.code === "ERR_STRMBRKR_STOPPED") return;
  throw reason; // anything else fails the run as Node would have
}

/** Where remote workers connect, and the key they need: one line on stderr, at every start. */
function announce(listen: ListenContext, { gateway, store }: Listening): void {
  const key = listen.curve ? ` (server key ${listen.curve.publicKey})` : " (insecure)";
  process.stderr.write(`strmbrkr: listening for remote workers on ${gateway}${key}\n`);
  const port = gateway.slice(gateway.lastIndexOf(":") + 1);
  // `=` and quotes: a Z85 key may start with "-" and holds shell characters.
  const keys = listen.curve ? ` --server-key='${listen.curve.publicKey}' --key WORKER.key` : " --insecure";
  process.stderr.write(`strmbrkr: join with: strmbrkr worker --connect tcp://THIS-HOST:${port}${keys}\n`);
  if (store)
    process.stderr.write(
      `strmbrkr: the key-value store, from elsewhere: strmbrkr kvs … --connect ${store}${listen.curve ? " --key KEY --server-key=HOST.pub" : ""}\n`,
    );
}

/**
 * Ctrl-C or SIGTERM: running jobs get STRMBRKR_SHUTDOWN_GRACE seconds to finish, then every process
 * of the run stops; a second Ctrl-C exits at once (children notice their owner is gone). Once
 * interrupted, a `main` that returns meanwhile leaves the exit (and its code) to this handler.
 */
function handleInterrupts(
  instance: HostContext,
  dashboard: { stopping(): void; close(): Promise<void> },
): { readonly interrupted: boolean } {
  const log = getLogger("run");
  const state = { interrupted: false };
  const onSignal = async (signal: NodeJS.Signals) => {
    const code = signal === "SIGINT" ? 130 : 143;
    if (state.interrupted) process.exit(code);
    state.interrupted = true;
    dashboard.stopping();
    instance.beginShutdown();
    const grace = instance.config.shutdownGrace;
    log.warning(`${signal}: letting running jobs finish (up to ${grace} s), then stopping; Ctrl-C again to exit at once`);
    await instance.runningHub?.drain(grace * 1000);
    await dashboard.close();
    await instance.shutdown().catch(() => {});
    const { queued, processed, failed } = runStats;
    process.stderr.write(
      `strmbrkr: interrupted: ${processed} jobs processed, ${failed} failed, ${queued - processed - failed} not finished\n`,
    );
    process.exit(code);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return state;
}

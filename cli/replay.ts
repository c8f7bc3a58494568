import { inspect } from "node:util";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { installContext } from "../runtime/client/context.js";
import { LOG_LEVELS, parseHttpAddress, resolveConfig } from "../runtime/config/config.js";
import { DEFAULT_INSPECT_ADDRESS, openInspector, type OpenInspector } from "../runtime/host/inspect-job.js";
import { compareWithRun, loadReplay, ReplayContext, replayJob } from "../runtime/host/replay.js";
import { findReplayTarget, type ReplayTarget } from "../runtime/host/replay-target.js";
import { ConfigError } from "../runtime/util/errors.js";
import { JsonValueError, toJson } from "../runtime/util/json-values.js";
import type { JobResult } from "../runtime/wire/jobs.js";
import { decode } from "../runtime/wire/serialize.js";
import { fail, printError, warn } from "./report.js";

interface ReplayArgs {
  journal: string;
  job: string;
  /** "" (the flag alone) or [HOST:]PORT. */
  inspect?: string;
  logLevel?: string;
}

export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: "replay <journal> <job>",
  describe: "Run one job of a journal again, in this process, with the arguments it was queued with (docs/journal.md)",
  builder: (yargs) =>
    (yargs as Argv<object>)
      .positional("journal", { type: "string", demandOption: true, describe: "The journal a run wrote (--journal FILE)" })
      .positional("job", { type: "string", demandOption: true, describe: "The job's id, as the journal and the run's Jobs name it" })
      .option("inspect", {
        type: "string",
        describe: `Open the inspector on [HOST:]PORT, wait for a debugger (chrome://inspect) and pause at the job function's first line [default with the flag alone: ${DEFAULT_INSPECT_ADDRESS}, as node --inspect; port 0 picks a free one]`,
      })
      .option("log-level", { type: "string", describe: `Log level: ${LOG_LEVELS.join(", ")} [default: STRMBRKR_LOGGING_LEVEL or INFO]` })
      .example("$0 replay sweep.journal 19621-7", "Run job 19621-7 again: its value on stdout, or its error and exit 1")
      .example(
        "$0 replay sweep.journal 19621-7 --inspect",
        "The same under Chrome's DevTools, paused at the job's first line",
      ) as Argv<ReplayArgs>,
  handler: (args: ArgumentsCamelCase<ReplayArgs>) => replay(args),
};

/** Exits 0 when the job returns, 1 when it throws (or the script throws while loading), 2 for bad input. */
async function replay(args: ReplayArgs): Promise<never> {
  let target: ReplayTarget;
  let context: ReplayContext;
  let address: string | undefined;
  try {
    address = inspectAddress(args.inspect);
    target = findReplayTarget(args.journal, args.job);
    // A fresh, empty store: never a snapshot file, which the store would also write at its exit.
    const config = resolveConfig({ overrides: { loggingLevel: args.logLevel, kvsSnapshot: "" }, warn });
    context = installContext(new ReplayContext(config));
  } catch (error) {
    return fail(2, (error as Error).message);
  }
  const exit = async (code: number): Promise<never> => {
    await context.shutdown().catch(() => {});
    process.exit(code);
  };
  const { run, queued } = target;
  const job = `job ${queued.id} (${queued.fn})`;
  let inspector: OpenInspector | undefined;
  if (address) {
    try {
      inspector = await openInspector(address); // before the script loads: a taken port runs none of its code
    } catch (error) {
      process.stderr.write(`strmbrkr: ${(error as Error).message}\n`);
      return exit(2);
    }
    // Node's inspector has no authentication (its /json list names the session to anyone who asks):
    // while it is open, whoever reaches the port can run code as you. Say so, every time.
    if (!/^(127\.|\[::1\]|localhost:)/.test(address))
      warn(`--inspect listens on ${address}, beyond this machine's loopback: anyone who reaches it can run code as you`);
    else
      warn(
        `--inspect: until the replay ends, any user of this machine can attach to ${address} and run code as you (node's inspector has no password)`,
      );
  }
  process.stderr.write(`strmbrkr: replaying ${job} of the run of ${run.script} started ${new Date(run.at).toISOString()}\n`);
  let exports: Record<string, unknown>;
  try {
    exports = await loadReplay(context, target);
  } catch (error) {
    printError(`${run.script} threw while loading:`, error);
    return exit(1);
  }
  const result = await replayJob(context, target, exports, {
    pauseAtFirstLine:
      inspector &&
      ((found) => {
        const where = found
          ? `${job} pauses at the first line of ${queued.fn}`
          : `${queued.fn} has no source to pause in: it runs without a breakpoint`;
        process.stderr.write(
          `strmbrkr: waiting for a debugger on ${inspector!.wsUrl}: open chrome://inspect or ${inspector!.devtoolsUrl}; ${where}\n`,
        );
        inspector!.waitForDebugger();
      }),
  });
  inspector?.close();
  printResult(job, result);
  const { same, recorded } = compareWithRun(result, target.finished);
  process.stderr.write(
    same === undefined
      ? "strmbrkr: the run recorded no result for this job (it ended before the job did)\n"
      : same
        ? `strmbrkr: same as the run recorded (${recorded})\n`
        : `strmbrkr: different from the run, which recorded: ${recorded}\n`,
  );
  if (context.storeUsed)
    process.stderr.write("strmbrkr: the job used the key-value store: it had a fresh, empty one (a journal does not keep the run's)\n");
  return exit(result.ok ? 0 : 1);
}

/** `--inspect` alone, or `--inspect=[HOST:]PORT`, as `HOST:PORT`; undefined without the flag. */
function inspectAddress(flag: string | undefined): string | undefined {
  if (flag === undefined) return undefined;
  if (flag === "") return DEFAULT_INSPECT_ADDRESS;
  try {
    return parseHttpAddress(flag);
  } catch {
    throw new ConfigError(`--inspect: ${JSON.stringify(flag)} is not [HOST:]PORT (e.g. 9229, 127.0.0.1:9229; port 0 picks a free one)`);
  }
}

/** A value on stdout as `strmbrkr map` writes one (a JSON line), or as util.inspect shows what JSON cannot; an error as a failed job's. */
function printResult(job: string, result: JobResult): void {
  if (result.ok) {
    const value = decode(result.value!);
    let text: string;
    try {
      text = toJson(value);
    } catch (error) {
      if (!(error instanceof JsonValueError)) throw error;
      text = inspect(value, { depth: null });
    }
    process.stdout.write(`${text}\n`);
    return;
  }
  const error = result.error ?? { name: "Error", message: "failed without an error" };
  printError(`${job} failed:`, error.stack ?? `${error.name}: ${error.message}`);
}

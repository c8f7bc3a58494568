import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { STRMBRKR_VERSION } from "../runtime/util/package-root.js";
import { initCommand } from "./init.js";
import { journalReportCommand } from "./journal-report.js";
import { keygenCommand } from "./keygen.js";
import { kvsCommand } from "./kvs.js";
import { mapCommand } from "./map.js";
import { replayCommand } from "./replay.js";
import { runCommand } from "./run.js";
import { PARSER_CONFIGURATION } from "./session-flags.js";
import { fail } from "./report.js";
import { unknownOptionMessage } from "./unknown-option.js";
import { workerCommand } from "./worker.js";

const argv = hideBin(process.argv);

/**
 * yargs renders a command's whole help text right after its handler starts, to show it should the
 * handler fail; our .fail() never shows it. The rendering held up every run's start (BENCHMARKS.md),
 * before the host could send the hub its context. Internal to yargs: if that changes, help is rendered as before.
 */
function skipHelpCache(cli: object): void {
  type Internals = { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } };
  const usage = (cli as Internals).getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === "function") usage.cacheHelpMessage = () => {};
}

/** What the failing command takes, for a suggestion: its options as `--name`, and the command names. */
function knownWords(usage: unknown): string[] {
  const { getDescriptions, getCommands } = usage as { getDescriptions?: () => Record<string, unknown>; getCommands?: () => unknown[][] };
  const options = Object.keys(getDescriptions?.() ?? {}).map((name) => `--${name}`);
  const commands = (getCommands?.() ?? []).map(([command]) => String(command).split(" ")[0]!).filter((name) => name !== "$0");
  return [...options, ...commands];
}

const cli = yargs(argv)
  .scriptName("strmbrkr")
  .usage("$0 <command> [options]")
  .command(runCommand)
  .command(initCommand)
  .command(mapCommand)
  .command(replayCommand)
  .command(kvsCommand)
  .command(workerCommand)
  .command(journalReportCommand)
  .command(keygenCommand)
  // A hidden default command, so unknown flags are reported before a missing command is.
  .command("$0", false, {}, () => fail(2, "name a command, e.g. `strmbrkr run script.ts` (see --help)"))
  .strict()
  .parserConfiguration(PARSER_CONFIGURATION)
  .version(STRMBRKR_VERSION)
  .help()
  .alias("h", "help")
  .fail((message, error, usage) =>
    fail(2, message ? unknownOptionMessage(message, knownWords(usage), argv) : error?.message || String(error)),
  );
skipHelpCache(cli);
await cli.parseAsync();

import type { Argv, CommandModule } from "yargs";
import { ScriptError } from "../runtime/util/errors.js";
import type { RunArgs } from "./run-check.js";
import type { MainFunction } from "./script-run.js";
import { hostSession, sessionOptions } from "./session.js";

export const runCommand: CommandModule<object, RunArgs> = {
  command: "run <script>",
  describe: "Bundle a job script, start the broker, the key-value store and the workers, and run its default export",
  builder: (yargs) =>
    sessionOptions(yargs as Argv<object>)
      .positional("script", {
        type: "string",
        demandOption: true,
        describe: "The job script (.ts or .js): exported jobs and a default-exported main",
      })
      .example("$0 run examples/example.ts", "Run the example on 4 workers")
      .example("$0 run sim.ts --workers 8 -- --steps 1000", "Pass arguments to main after --")
      .example(
        "$0 run sim.ts --listen tcp://0.0.0.0:5555 --key host.key --authorized-keys workers.pub",
        "Also run jobs on other machines (docs/distributed.md)",
      ) as Argv<RunArgs>,
  handler: runScript,
};

/** Runs the script's main on the workers; exits when it is done. From yargs, or from bin/strmbrkr.js through cli/early-run.ts. */
export function runScript(args: RunArgs): Promise<never> {
  return hostSession(args, {
    script: args.script,
    prepare: (exports) => mainOf(args.script, exports),
    async use(main, run) {
      await main({ ...run, argv: (args["--"] ?? []).map(String) });
      return 0;
    },
    warnUnfinished: true,
  });
}

function mainOf(script: string, exports: Record<string, unknown>): MainFunction {
  if (!("default" in exports)) {
    throw new ScriptError(`${script}: no default export; add \`export default async function main({ queue, workers, argv }) { … }\``);
  }
  if (typeof exports.default !== "function") {
    throw new ScriptError(`${script}: the default export must be a function (main), got ${typeof exports.default}`);
  }
  return exports.default as MainFunction;
}

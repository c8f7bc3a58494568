// `strmbrkr run` always needs a hub: bin/strmbrkr.js calls this before the CLI loads, so the hub boots
// on the other core meanwhile and forks the workers the arguments ask for (runtime/hub/main.ts). A
// command line it can read (run-check.ts) then runs without yargs; any other is left to yargs, and
// forks nothing: a usage error starts no process.
import { forkHubEarly } from "../runtime/host/services.js";
import { readRunLine } from "./run-check.js";

/** Starts `strmbrkr run ARGS` (`args`: what follows `run`) if it can read the line; false leaves it to yargs. */
export function startRun(args: string[]): boolean {
  const line = readRunLine(args);
  if (!line) return false;
  forkHubEarly(args);
  void import("./run.js").then(({ runScript }) => runScript(line));
  return true;
}

// `strmbrkr run` always needs a hub: bin/strmbrkr.js calls this before the CLI loads (loading yargs
// alone is a noticeable share of start-up), so the hub boots on the other core meanwhile and forks
// the workers the arguments ask for (runtime/hub/main.ts). Not for a command line that cannot run.
import { forkHubEarly } from "../runtime/host/services.js";
import { runCanStart } from "./run-check.js";

/** Forks the hub for `strmbrkr ARGS` if it is a `run` that can start (run-check.ts). */
export function forkHubForRun(args: string[]): void {
  if (args[0] === "run" && runCanStart(args.slice(1))) forkHubEarly(args.slice(1));
}

import { join } from "node:path";
import { readEnvFile } from "../config/config.js";

/** More than this, and the rest are forked when the pool asks, as without a guess. */
const MAX_GUESS = 64;

/**
 * How many workers `strmbrkr run ARGS` will start, guessed before the CLI parses its arguments (the
 * hub forks that many at once: runtime/hub/main.ts). It reads the same places as the configuration
 * (runtime/config/config.ts: --workers/-w, then STRMBRKR_WORKER_PROC_COUNT in the environment, then
 * in `strmbrkr.env`, then 4) without checking them: a wrong guess costs time, never correctness,
 * since the first pool takes as many as it needs and the hub stops the rest. 0: no guess.
 */
export function guessWorkerCount(args: string[], env = process.env, cwd = process.cwd()): number {
  const raw = flagValue(args) ?? env.STRMBRKR_WORKER_PROC_COUNT ?? envFileValue(cwd) ?? "4";
  const count = Number(raw.trim());
  return Number.isInteger(count) && count > 0 ? Math.min(count, MAX_GUESS) : 0;
}

/** The last --workers or -w value before `--` (what follows is the script's). */
function flagValue(args: string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length && args[i] !== "--"; i++) {
    const match = /^(?:--workers|-w)(?:=(.*))?$/.exec(args[i]!);
    if (match) value = match[1] ?? args[++i] ?? "";
  }
  return value;
}

function envFileValue(cwd: string): string | undefined {
  try {
    return readEnvFile(join(cwd, "strmbrkr.env")).get("STRMBRKR_WORKER_PROC_COUNT")?.value;
  } catch {
    return undefined; // a malformed file: the CLI says so in a moment
  }
}

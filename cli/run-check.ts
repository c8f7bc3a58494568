// `strmbrkr run` forks its hub before yargs loads (early-run.ts); a usage error must not: it would
// start the hub and its workers for nothing. This tells a command line that cannot run from one
// that may, from the same table yargs is given (session-flags.ts), without loading yargs.
import { statSync } from "node:fs";
import { resolveConfig } from "../runtime/config/config.js";
import { scriptProblem } from "../runtime/host/script-file.js";
import { configOverrides, SESSION_FLAGS, type SessionArgs, type SessionFlag } from "./session-flags.js";

const FLAGS: Record<string, SessionFlag> = SESSION_FLAGS;
const BY_ALIAS = new Map(Object.entries(FLAGS).flatMap(([name, flag]) => (flag.alias ? [[flag.alias, name] as const] : [])));
/** What yargs takes as a string flag's value rather than as the next flag: anything but a flag; a negative number too. */
const isValue = (arg: string) => !arg.startsWith("-") || /^-\d+(\.\d+)?$/.test(arg);

/**
 * Whether `strmbrkr run ARGS` (`args`: what follows `run`) can start the run as far as a glance can
 * tell: one script argument naming a job script that exists (statSync), no unknown flag, a value for
 * each flag that needs one, a configuration that resolves (runtime/config: the flags' values, the
 * environment, strmbrkr.env); false also for --help and --version (no run). What it cannot judge (odd
 * spellings yargs may take) is true: an early hub forked for a usage error exits with the CLI.
 */
export function runCanStart(args: string[], isScript = (script: string) => scriptProblem(script, statOf(script)) === undefined): boolean {
  let script: string | undefined;
  const values: Record<string, string> = {}; // by camelCase name, as yargs hands them on
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") break; // the rest is the script's
    if (!arg.startsWith("-") || arg === "-") {
      if (script !== undefined) return false; // yargs: unknown argument
      script = arg;
      continue;
    }
    const [, dashes, written, equals] = /^(--?)([^=]*)(=.*)?$/.exec(arg)!;
    let name: string | undefined;
    let assigned = equals;
    if (dashes === "--") name = kebab(written!);
    else if (written!.length === 1) name = BY_ALIAS.get(written!);
    else if (/^.-?\d/.test(written!) && assigned === undefined) {
      name = BY_ALIAS.get(written![0]!); // -w4
      assigned = `=${written!.slice(1)}`;
    }
    const flag = name === undefined ? undefined : FLAGS[name];
    if (!flag) {
      const negated = name?.startsWith("no-") ? FLAGS[name.slice(3)] : undefined;
      if (!negated) return false; // an unknown flag, or --help, --version
      if (negated.type === "string") values[camel(name!.slice(3))] = "false"; // yargs' value for --no-workers
      continue;
    }
    if (flag.type === "boolean") {
      if (assigned === undefined && /^(true|false)$/.test(args[i + 1] ?? "")) i++;
      continue;
    }
    let value = assigned?.slice(1);
    if (value === undefined && args[i + 1] !== undefined && isValue(args[i + 1]!)) value = args[++i];
    if (flag.needsValue && !value) return false;
    // Given twice, a flag's values reach the configuration as yargs gives them: an array, "2,3".
    const key = camel(name!);
    values[key] = values[key] === undefined ? (value ?? "") : `${values[key]},${value ?? ""}`;
  }
  return script !== undefined && isScript(script) && resolves(values);
}

/** Whether the configuration the CLI will resolve (cli/session.ts) resolves. */
function resolves(values: Partial<SessionArgs>): boolean {
  try {
    resolveConfig({ overrides: configOverrides(values) });
    return true;
  } catch {
    return false;
  }
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

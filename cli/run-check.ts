// `strmbrkr run` forks its hub before anything else loads (early-run.ts), and a command line it can
// read whole starts the run without yargs, whose load and parse of the run's ~15 options cost every
// start ~30 ms of CPU (BENCHMARKS.md, "Where the remaining goals stand", start-up). This reads such a line from the same table yargs is
// given (session-flags.ts) into what yargs would hand the command's handler; anything it cannot read
// exactly as yargs does (a usage error, --help, a flag given twice, odd spellings) is left to yargs,
// which reports it, and then no hub is forked: a usage error starts no process.
import { statSync } from "node:fs";
import { resolveConfig } from "../runtime/config/config.js";
import { scriptProblem } from "../runtime/host/script-file.js";
import { camel, kebab } from "./flag-names.js";
import { configOverrides, SESSION_FLAGS, type SessionArgs, type SessionFlag } from "./session-flags.js";

/** A `strmbrkr run` command line, as yargs hands it to the command's handler (cli/run.ts). */
export type RunArgs = SessionArgs & {
  script: string;
  /** What follows `--`: main's argv. */
  "--"?: string[];
};

const FLAGS: Record<string, SessionFlag> = SESSION_FLAGS;
const BY_ALIAS = new Map(Object.entries(FLAGS).flatMap(([name, flag]) => (flag.alias ? [[flag.alias, name] as const] : [])));
/** What yargs takes as a string flag's value rather than as the next flag: anything but a flag; a negative number too. */
const isValue = (arg: string) => !arg.startsWith("-") || /^-\d+(\.\d+)?$/.test(arg);
/** What yargs hands on for a flag not given: its default, by camelCase name. */
const DEFAULTS = Object.fromEntries(
  Object.entries(FLAGS).flatMap(([name, flag]) => (flag.default === undefined ? [] : [[camel(name), flag.default] as const])),
);
const BOOLEAN_WORDS = new Map([
  ["true", true],
  ["false", false],
]);

/**
 * `strmbrkr run ARGS` (`args`: what follows `run`) read as yargs would, if the run can start as far
 * as a glance can tell: one script argument naming a job script that exists (statSync), each flag
 * known and given once, a value for each flag that needs one, a configuration that resolves
 * (runtime/config: the flags' values, the environment, strmbrkr.env). Otherwise undefined: yargs
 * reads the line and reports what is wrong.
 */
export function readRunLine(
  args: string[],
  isScript = (script: string) => scriptProblem(script, statOf(script)) === undefined,
): RunArgs | undefined {
  let script: string | undefined;
  const values: Record<string, string | boolean> = { ...DEFAULTS }; // by camelCase name, as yargs hands them on
  const given = new Set<string>();
  let rest: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      rest = args.slice(i + 1);
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (script !== undefined) return undefined; // yargs: unknown argument
      script = arg;
      continue;
    }
    const [, dashes, written, equals] = /^(--?)([^=]*)(=.*)?$/.exec(arg)!;
    let name: string | undefined;
    let assigned = equals?.slice(1);
    if (dashes === "--") name = kebab(written!);
    else if (written!.length === 1) name = BY_ALIAS.get(written!);
    else if (/^.-?\d/.test(written!) && assigned === undefined) {
      name = BY_ALIAS.get(written![0]!); // -w4
      assigned = written!.slice(1);
    }
    let flag = name === undefined ? undefined : FLAGS[name];
    let negated = false;
    if (!flag && name?.startsWith("no-") && FLAGS[name.slice(3)]?.type === "boolean" && assigned === undefined) {
      name = name.slice(3);
      flag = FLAGS[name];
      negated = true;
    }
    if (!flag) return undefined; // an unknown flag, --help, --version, --no-workers
    if (given.has(name!)) return undefined; // yargs: an array of the values
    given.add(name!);
    const key = camel(name!);
    if (flag.type === "boolean") {
      if (negated) values[key] = false;
      else if (assigned !== undefined) {
        if (!BOOLEAN_WORDS.has(assigned)) return undefined;
        values[key] = BOOLEAN_WORDS.get(assigned)!;
      } else if (BOOLEAN_WORDS.has(args[i + 1] ?? "")) values[key] = BOOLEAN_WORDS.get(args[++i]!)!;
      else values[key] = true;
      continue;
    }
    let value = assigned;
    if (value === undefined && args[i + 1] !== undefined && isValue(args[i + 1]!)) value = args[++i];
    if (flag.needsValue && !value) return undefined;
    values[key] = value ?? "";
  }
  if (script === undefined || !isScript(script)) return undefined;
  const line = { ...values, script, ...(rest?.length && { "--": rest }) } as RunArgs; // yargs: no "--" for nothing after it
  return resolves(line) ? line : undefined;
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

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

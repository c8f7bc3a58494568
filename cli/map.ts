import { accessSync, constants, createReadStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { JobError, ScriptError, toErrorInfo, type ErrorInfo } from "../runtime/util/errors.js";
import type { JobFunction, JobOptions } from "../runtime/client/job.js";
import { mapWithBackPressure } from "../stdlib/streams.js";
import { toJson } from "../runtime/util/json-values.js";
import { checkOutputs, openMapOutput } from "./map-output.js";
import { hostSession, sessionOptions } from "./session.js";
import type { SessionArgs } from "./session-flags.js";
import { fail, numberFlag } from "./report.js";

interface MapArgs extends SessionArgs {
  script: string;
  fn: string;
  input: string;
  output: string;
  errors?: string;
  ordered: boolean;
  inFlight: string;
  timeout?: string;
  retries?: string;
}

export const mapCommand: CommandModule<object, MapArgs> = {
  command: "map <script> <fn>",
  describe: "Run an exported function of a job script over each line of a JSON Lines file (no main needed)",
  builder: (yargs) =>
    sessionOptions(yargs as Argv<object>)
      .positional("script", { type: "string", demandOption: true, describe: "The job script (.ts or .js)" })
      .positional("fn", { type: "string", demandOption: true, describe: "The exported function to run for each line" })
      // nargs 1: without it yargs reads the `-` of `--input -` as a stray positional.
      .option("input", {
        alias: "i",
        type: "string",
        nargs: 1,
        demandOption: true,
        describe: "JSON Lines file, - for stdin: a JSON array is the argument list, any other value the only argument",
      })
      .option("output", {
        alias: "o",
        type: "string",
        nargs: 1,
        default: "-",
        describe:
          "Where each return value goes, one JSON line per job that succeeded; - for stdout; a file is written whole or not at all (temporary file, renamed at the end)",
      })
      .option("errors", { type: "string", nargs: 1, describe: "Write failures here as JSON lines ({ line, error }) instead of to stderr" })
      .option("ordered", {
        type: "boolean",
        default: false,
        describe:
          "Write values in input order, one line per input line: null for a line that failed (default: as jobs finish, failures left out)",
      })
      .option("in-flight", { type: "string", default: "1000", describe: "Most jobs out at once; bounds memory however long the input" })
      .option("timeout", { type: "string", describe: "Seconds each job may run (its own watchdog)" })
      .option("retries", { type: "string", describe: "Times to run a job again after it throws" })
      .example("$0 map sim.ts simulate --input params.jsonl --output results.jsonl", "One job per line of params.jsonl")
      .example("seq 1 100 | $0 map examples/map.ts square -i - --ordered", "Compose with pipes") as unknown as Argv<MapArgs>,
  handler: (args: ArgumentsCamelCase<MapArgs>) => {
    if (args.input !== "-") {
      try {
        accessSync(args.input, constants.R_OK);
      } catch (error) {
        fail(2, `--input ${args.input}: ${(error as Error).message}`);
      }
    }
    checkOutputs(args.input, [
      ["--output", args.output],
      ["--errors", args.errors],
    ]);
    const inFlight = numberFlag("--in-flight", args.inFlight, { min: 1, integer: true });
    const jobOptions: JobOptions = {};
    if (args.timeout !== undefined) jobOptions.timeout = numberFlag("--timeout", args.timeout, { min: 0, above: true });
    if (args.retries !== undefined) jobOptions.retries = numberFlag("--retries", args.retries, { min: 0, integer: true });
    const lines = { total: 0, done: 0, failed: 0 };
    // Opened (as temporary files) before the run starts: nothing can go wrong with them after the first job.
    const output = openMapOutput(args.output);
    const errors = args.errors === undefined ? undefined : openMapOutput(args.errors);
    return hostSession(args, {
      script: args.script,
      counts: () => ({ ...lines, unit: "lines" }),
      prepare(exports) {
        const fn = exports[args.fn];
        if (typeof fn === "function") return fn as JobFunction;
        const names = Object.keys(exports).filter((name) => typeof exports[name] === "function" && name !== "default");
        throw new ScriptError(`${args.script}: ${args.fn} is not an exported function (exported functions: ${names.join(", ") || "none"})`);
      },
      async use(fn, { queue }, shown) {
        const out = watch(output.stream);
        const err = errors && watch(errors.stream);
        const run = (line: InputLine): Promise<Outcome> => {
          lines.total++;
          if (!("args" in line)) return Promise.resolve(line);
          return queue.submitWith(jobOptions, fn, ...line.args).then(
            (value) => ({ line: line.line, value }),
            (error: unknown) => ({ line: line.line, error: error instanceof JobError ? error.remote : toErrorInfo(error) }),
          );
        };
        for await (const outcome of mapWithBackPressure(readLines(args.input, args.ordered), run, { ordered: args.ordered, inFlight })) {
          lines.done++;
          const json = "error" in outcome ? outcome : jsonLine(outcome.value);
          if (typeof json === "string") {
            if (!(await write(out, json))) break;
            continue;
          }
          lines.failed++;
          const { error } = json;
          // --ordered keeps output line N for input line N: a failure holds its place with null.
          if (args.ordered && !(await write(out, "null\n"))) break;
          // On a terminal, over the progress line rather than after it.
          if (!err)
            process.stderr.write(`${shown.progress ? "\r\x1b[2K" : ""}strmbrkr: line ${outcome.line}: ${error.name}: ${error.message}\n`);
          else if (
            !(await write(
              err,
              `${JSON.stringify({ line: outcome.line, error: { name: error.name, message: error.message, stack: error.stack } })}\n`,
            ))
          )
            break;
        }
        await Promise.all([close(out), err && close(err)]);
        for (const [stream, path] of [
          [out, args.output],
          [err, args.errors],
        ] as const) {
          const error = stream && writeErrors.get(stream);
          if (!error) continue;
          // The reader went away (`| head`): stop quietly, as Unix tools do on SIGPIPE.
          if (error.code === "EPIPE") return 141;
          process.stderr.write(`strmbrkr: ${path === "-" ? "stdout" : path}: ${error.message}\n`);
          return 2;
        }
        // Every line written: only now do the files replace what was there.
        try {
          await output.commit();
          await errors?.commit();
        } catch (error) {
          process.stderr.write(`strmbrkr: ${(error as Error).message}\n`);
          return 2;
        }
        // With the progress line shown, its summary gives the count.
        if (lines.failed > 0 && !shown.progress) process.stderr.write(`strmbrkr: ${lines.failed} of ${lines.total} input lines failed\n`);
        return lines.failed > 0 ? 1 : 0;
      },
      warnUnfinished: false, // what is still out after a reader went away (`| head`) is not wanted
    });
  },
};

/** The first error each output stream raised: writing stops there. */
const writeErrors = new Map<Writable, NodeJS.ErrnoException>();

function watch(stream: Writable): Writable {
  stream.on("error", (error) => {
    if (!writeErrors.has(stream)) writeErrors.set(stream, error);
  });
  return stream;
}

/** Writes with back-pressure; false once the stream has failed. */
async function write(stream: Writable, text: string): Promise<boolean> {
  if (writeErrors.has(stream)) return false;
  if (!stream.write(text)) await once(stream, "drain").catch(() => {});
  return !writeErrors.has(stream);
}

async function close(stream: Writable): Promise<void> {
  if (stream === process.stdout || writeErrors.has(stream)) return;
  stream.end();
  await once(stream, "finish").catch(() => {});
}

type InputLine = { line: number; args: unknown[] } | { line: number; error: ErrorInfo } | { line: number; value: null };
type Outcome = { line: number; value: unknown } | { line: number; error: ErrorInfo };

/**
 * The input's lines as argument lists, numbered from 1; bad JSON is a failure of its line. Blank
 * lines are skipped, or with `keepBlank` (--ordered) are a null value, so output lines match input lines.
 */
async function* readLines(path: string, keepBlank: boolean): AsyncGenerator<InputLine> {
  const stream = path === "-" ? process.stdin : createReadStream(path);
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === "") {
      if (keepBlank) yield { line, value: null };
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line, error: { name: "SyntaxError", message: `not JSON: ${(error as Error).message}` } };
      continue;
    }
    yield { line, args: Array.isArray(value) ? value : [value] };
  }
}

/** The value as one JSON line, or the failure of its line (a function, a symbol, a cycle). */
function jsonLine(value: unknown): string | { error: ErrorInfo } {
  try {
    return `${toJson(value)}\n`;
  } catch (error) {
    return { error: { name: (error as Error).name, message: `its return value cannot be written as JSON: ${(error as Error).message}` } };
  }
}

import { accessSync, constants, createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { JobError, ScriptError, toErrorInfo, type ErrorInfo } from "../stdlib/errors.js";
import type { JobFunction, JobOptions } from "../stdlib/job.js";
import { mapWithBackPressure } from "../stdlib/streams.js";
import { hostSession, sessionOptions, type SessionArgs } from "./session.js";
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
      .option("input", { alias: "i", type: "string", nargs: 1, demandOption: true, describe: "JSON Lines file, - for stdin: a JSON array is the argument list, any other value the only argument" })
      .option("output", { alias: "o", type: "string", nargs: 1, default: "-", describe: "Where each return value goes, one JSON line per job that succeeded; - for stdout" })
      .option("errors", { type: "string", describe: "Write failures here as JSON lines ({ line, error }) instead of to stderr" })
      .option("ordered", { type: "boolean", default: false, describe: "Write values in input order (default: as jobs finish)" })
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
    const inFlight = numberFlag("--in-flight", args.inFlight, { min: 1, integer: true });
    const jobOptions: JobOptions = {};
    if (args.timeout !== undefined) jobOptions.timeout = numberFlag("--timeout", args.timeout, { min: 0, above: true });
    if (args.retries !== undefined) jobOptions.retries = numberFlag("--retries", args.retries, { min: 0, integer: true });
    return hostSession(args, {
      script: args.script,
      prepare(exports) {
        const fn = exports[args.fn];
        if (typeof fn === "function") return fn as JobFunction;
        const names = Object.keys(exports).filter((name) => typeof exports[name] === "function" && name !== "default");
        throw new ScriptError(`${args.script}: ${args.fn} is not an exported function (exported functions: ${names.join(", ") || "none"})`);
      },
      async use(fn, { queue }) {
        const output = openOutput(args.output);
        const errors = args.errors === undefined ? undefined : openOutput(args.errors);
        let failed = 0;
        const run = (line: InputLine): Promise<Outcome> => {
          if ("error" in line) return Promise.resolve(line);
          return queue.submitWith(jobOptions, fn, ...line.args).then(
            (value) => ({ line: line.line, value }),
            (error: unknown) => ({ line: line.line, error: error instanceof JobError ? error.remote : toErrorInfo(error) }),
          );
        };
        for await (const outcome of mapWithBackPressure(readLines(args.input), run, { ordered: args.ordered, inFlight })) {
          const text = "error" in outcome ? undefined : jsonLine(outcome.value);
          if (text !== undefined) {
            if (!(await write(output, text))) break;
            continue;
          }
          failed++;
          const error = "error" in outcome ? outcome.error : { name: "TypeError", message: "its return value cannot be written as JSON" };
          if (!errors) process.stderr.write(`strmbrkr: line ${outcome.line}: ${error.name}: ${error.message}\n`);
          else if (!(await write(errors, `${JSON.stringify({ line: outcome.line, error: { name: error.name, message: error.message, stack: error.stack } })}\n`))) break;
        }
        await Promise.all([close(output), errors && close(errors)]);
        for (const [stream, path] of [[output, args.output], [errors, args.errors]] as const) {
          const error = stream && writeErrors.get(stream);
          if (!error) continue;
          // The reader went away (`| head`): stop quietly, as Unix tools do on SIGPIPE.
          if (error.code === "EPIPE") return 141;
          process.stderr.write(`strmbrkr: ${path === "-" ? "stdout" : path}: ${error.message}\n`);
          return 2;
        }
        if (failed > 0) process.stderr.write(`strmbrkr: ${failed} of the input lines failed\n`);
        return failed > 0 ? 1 : 0;
      },
      warnUnfinished: false, // what is still out after a reader went away (`| head`) is not wanted
    });
  },
};

/** The first error each output stream raised: writing stops there. */
const writeErrors = new Map<Writable, NodeJS.ErrnoException>();

function openOutput(path: string): Writable {
  const stream = path === "-" ? process.stdout : createWriteStream(path);
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

type InputLine = { line: number; args: unknown[] } | { line: number; error: ErrorInfo };
type Outcome = { line: number; value: unknown } | { line: number; error: ErrorInfo };

/** The input's lines as argument lists, numbered from 1; blank lines are skipped, bad JSON is a failure of its line. */
async function* readLines(path: string): AsyncGenerator<InputLine> {
  const stream = path === "-" ? process.stdin : createReadStream(path);
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === "") continue;
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

function jsonLine(value: unknown): string | undefined {
  try {
    return `${JSON.stringify(value) ?? "null"}\n`;
  } catch {
    return undefined; // a BigInt or a cycle
  }
}

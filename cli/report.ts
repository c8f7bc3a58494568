import { StrmbrkrError } from "../runtime/util/errors.js";

/** Prints one line to stderr and exits: 2 for usage, configuration and script errors. */
export function fail(exitCode: number, message: string): never {
  process.stderr.write(`strmbrkr: ${message}\n`);
  process.exit(exitCode);
}

/** A warning the run goes on after: one line on stderr. */
export function warn(message: string): void {
  process.stderr.write(`strmbrkr: WARNING: ${message}\n`);
}

/** An error from the user's code: its (source-mapped) stack, or its message. */
export function printError(prefix: string, error: unknown): void {
  // strmbrkr's own verdicts say all in their message; the user's errors need their stack.
  const ours = error instanceof StrmbrkrError && error.code === "ERR_STRMBRKR_SCRIPT";
  const text = error instanceof Error ? (!ours && error.stack) || `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`strmbrkr: ${prefix}\n${text}\n`);
}

/**
 * A numeric flag's value (flags arrive as strings, so "five" is reported as typed); exits 2 with
 * one line naming the flag otherwise, e.g. `--in-flight must be an integer >= 1, got "0"`.
 */
export function numberFlag(
  flag: string,
  text: string,
  { min, integer = false, above = false }: { min: number; integer?: boolean; above?: boolean },
): number {
  const value = Number(text);
  const ok = text.trim() !== "" && Number.isFinite(value) && (!integer || Number.isInteger(value)) && (above ? value > min : value >= min);
  if (!ok)
    fail(2, `${flag} must be ${integer ? "an integer" : "a number of seconds"} ${above ? ">" : ">="} ${min}, got ${JSON.stringify(text)}`);
  return value;
}

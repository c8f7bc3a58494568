import { StrmbrkrError } from "../stdlib/errors.js";

/** Prints one line to stderr and exits: 2 for usage, configuration and script errors. */
export function fail(exitCode: number, message: string): never {
  process.stderr.write(`strmbrkr: ${message}\n`);
  process.exit(exitCode);
}

/** An error from the user's code: its (source-mapped) stack, or its message. */
export function printError(prefix: string, error: unknown): void {
  // strmbrkr's own verdicts say all in their message; the user's errors need their stack.
  const ours = error instanceof StrmbrkrError && error.code === "ERR_STRMBRKR_SCRIPT";
  const text = error instanceof Error ? ((!ours && error.stack) || `${error.name}: ${error.message}`) : String(error);
  process.stderr.write(`strmbrkr: ${prefix}\n${text}\n`);
}

/** Prints one line to stderr and exits: 2 for usage, configuration and script errors. */
export function fail(exitCode: number, message: string): never {
  process.stderr.write(`strmbrkr: ${message}\n`);
  process.exit(exitCode);
}

/** An error from the user's code: its (source-mapped) stack, or its message. */
export function printError(prefix: string, error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  process.stderr.write(`strmbrkr: ${prefix}\n${text}\n`);
}

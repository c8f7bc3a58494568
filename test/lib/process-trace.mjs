// Preloaded through NODE_OPTIONS into every node process of a watched run (see watchProcesses in
// cli.ts): notes the process as it starts, so the watch sees each one however short its life,
// without polling /proc every few milliseconds (that cost a test process seconds of CPU).
import { appendFileSync } from "node:fs";

const log = process.env.TEST_PROCESS_TRACE;
if (log) {
  const command = [process.execPath, ...process.execArgv, ...process.argv.slice(1)].join(" ");
  // Whether it was given its runtime context (runtime/wire/context.ts's RUNTIME_ENV): an early hub or worker was not.
  const context = process.env.STRMBRKR_RUNTIME !== undefined;
  try {
    appendFileSync(log, `${JSON.stringify({ pid: process.pid, command, context })}\n`);
  } catch {
    // the watch is over and its log gone: nothing to tell
  }
}

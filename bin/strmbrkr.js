#!/usr/bin/env node
// `strmbrkr run` forks its hub (and, through it, the workers) before the CLI loads, and runs without
// yargs, unless the command line is not one it can read at a glance (a usage error, --help): cli/early-run.ts.
(await import("../dist/runtime/util/compile-cache.js")).useCompileCache(); // Node 22+: compiled code kept between runs
const started = process.argv[2] === "run" && (await import("../dist/cli/early-run.js")).startRun(process.argv.slice(3));
if (!started) await import("../dist/cli/main.js");

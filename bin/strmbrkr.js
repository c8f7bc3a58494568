#!/usr/bin/env node
// `strmbrkr run` forks its hub (and, through it, the workers) before the CLI loads, unless the command line
// cannot run (a usage error): cli/early-run.ts.
(await import("../dist/runtime/util/compile-cache.js")).useCompileCache(); // Node 22+: compiled code kept between runs
if (process.argv[2] === "run") (await import("../dist/cli/early-run.js")).forkHubForRun(process.argv.slice(2));
await import("../dist/cli/main.js");

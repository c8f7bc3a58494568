#!/usr/bin/env node
// `strmbrkr run` always needs a hub: it is forked before the CLI loads (loading yargs alone is a noticeable share of start-up),
// so it boots on the other core meanwhile, forks the workers the arguments ask for, and waits for its configuration
// (runtime/transport/children.ts, runtime/hub/main.ts).
(await import("../dist/runtime/util/compile-cache.js")).useCompileCache(); // Node 22+: compiled code kept between runs
const help = process.argv.includes("--help") || process.argv.includes("-h");
if (process.argv[2] === "run" && !help) (await import("../dist/runtime/host/services.js")).forkHubEarly(process.argv.slice(3));
await import("../dist/cli/main.js");

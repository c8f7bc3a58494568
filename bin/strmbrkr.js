#!/usr/bin/env node
// `strmbrkr run` always needs a hub: it is forked before the CLI loads (loading yargs alone is a noticeable share of start-up),
// so it boots on the other core meanwhile and waits for its configuration (runtime/transport/children.ts).
const help = process.argv.includes("--help") || process.argv.includes("-h");
if (process.argv[2] === "run" && !help) (await import("../dist/runtime/host/services.js")).forkHubEarly();
await import("../dist/cli/main.js");

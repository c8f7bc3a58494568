// `node --import ./test/lib/untracked-children.mjs`: the processes a test starts run as a user's
// would, without the module hooks tap's processinfo adds to each child's NODE_OPTIONS to track it
// (coverage is off: nothing reads what they record). They tripled the CPU a strmbrkr process
// takes to start: 0.9 s instead of 0.3 s for `strmbrkr --version`, 2.8 s instead of 1.2 s for a
// one-worker run (CLI, hub, store, worker).
import { createRequire } from "node:module";

const TRACKING = "_TAPJS_PROCESSINFO_";
let onSpawn;
try {
  // processinfo adds its environment through this hook, on every spawn; ours runs after its own.
  onSpawn = createRequire(import.meta.url)("process-on-spawn");
} catch {
  // a tap without it: nothing to undo
}
onSpawn?.addListener((options) => {
  const env = Object.fromEntries(Object.entries(options.env).filter(([name]) => !name.startsWith(TRACKING)));
  const rest = (env.NODE_OPTIONS ?? "")
    .split(/\s+/)
    .filter((arg) => arg !== "" && !arg.includes("@tapjs/processinfo"))
    .join(" ");
  if (rest === "") delete env.NODE_OPTIONS;
  else env.NODE_OPTIONS = rest;
  options.env = env;
});

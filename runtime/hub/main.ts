// The hub's entry. `strmbrkr run` forks the hub before its CLI loads, with its guess of how many
// workers the run starts (cli/early-run.ts): those are forked first, so they boot while the host
// starts and the hub loads zeromq and the broker, then wait for their context (the first pool takes
// them). Library mode forks the hub with no guess: nothing is forked before a pool asks.
// It asks for its context first, so the host can send it while the rest loads (hub.ts).
import { awaitRuntimeContext } from "../transport/children.js";
import { preforkWorkers } from "../pool/prefork.js";
import { useCompileCache } from "../util/compile-cache.js";

useCompileCache();
void awaitRuntimeContext();
preforkWorkers(process.argv.slice(2));
await import("./hub.js");

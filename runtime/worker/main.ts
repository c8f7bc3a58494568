// A worker's entry. Forked before its pool was asked for (runtime/hub/main.ts), it tells the hub it
// waits for its context before it loads the rest (worker.ts), so the context is there by then.
import { awaitRuntimeContext, restoreUserEnvironment } from "../transport/children.js";
import { useCompileCache } from "../util/compile-cache.js";

useCompileCache();
restoreUserEnvironment();
void awaitRuntimeContext();
await import("./worker.js");

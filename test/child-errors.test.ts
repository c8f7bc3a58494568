/**
 * A message to a child that is exiting fails with EPIPE (its channel is still `connected` until
 * the parent reads its end): seen on Node 24 as a failed run stopped its early-forked hub just as
 * the hub's context went out, the CLI died of the unhandled "error" event instead of reporting the
 * script's error. Such errors are ignored (the child's exit is what is handled); any other error
 * of a child stays fatal (runtime/transport/children.ts ignoreClosedChannel).
 */
import { pathToFileURL } from "node:url";
import t from "tap";
import { exited, forkEntry } from "../runtime/transport/children.js";
import type { RuntimeContext } from "../runtime/wire/context.js";
import { fixture } from "./lib/cli.js";

const errno = (code: string) => Object.assign(new Error(`write ${code}`), { code, syscall: "write" });

t.test("a child's failed IPC write is not fatal; another error of it is", { timeout: 30_000 }, async (t) => {
  const child = forkEntry({ url: pathToFileURL(fixture("ipc-idle-child.mjs")), loadsScript: false }, {} as RuntimeContext);
  t.teardown(() => void child.kill("SIGKILL"));
  await new Promise((resolve) => child.once("message", resolve));
  for (const code of ["EPIPE", "ECONNRESET", "ERR_IPC_CHANNEL_CLOSED"]) {
    t.doesNotThrow(() => child.emit("error", errno(code)), `${code} is ignored`);
  }
  t.throws(() => child.emit("error", errno("ENOENT")), { code: "ENOENT" }, "any other error is thrown, as an unhandled one was");
  child.disconnect();
  await exited(child);
  t.equal(child.exitCode, 0, "the child exits once its channel closes");
});

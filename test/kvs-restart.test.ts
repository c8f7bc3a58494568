import t from "tap";
import { fixture, lastJson, processesGone, strmbrkr } from "./lib/cli.js";

t.test("a key-value store killed under a running main is replaced by a fresh one on the next call", async (t) => {
  const result = await strmbrkr(["run", fixture("rel-kvs-restart.ts"), "--workers", "1", "--no-progress"], { timeoutMs: 30_000 });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  t.same(lastJson(result.stdout), { newPid: true, after: 2 }, "a new store, empty but for what came after");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

/**
 * The hub `strmbrkr run` forks before it reads its arguments (bin/strmbrkr.js, forkEarly): if its
 * host leaves before handing it a context — a usage error, a crash, SIGKILL — it leaves too.
 */
import t from "tap";
import { fixture, lastJson, processesGone, runNode } from "./lib/cli.js";

for (const how of ["exit", "kill"]) {
  t.test(
    `a hub forked early leaves when its host ${how === "exit" ? "exits" : "is SIGKILLed"} before handing it a context`,
    { timeout: 30_000 },
    async (t) => {
      const result = await runNode([fixture("early-hub-owner.mjs"), how], { timeoutMs: 20_000 });
      t.equal(how === "kill" ? result.signal : result.code, how === "kill" ? "SIGKILL" : 0, "the host ended as told", {
        stderr: result.stderr,
      });
      t.ok(lastJson(result.stdout).hub > 0, "its hub had started");
      t.same(await processesGone(result.instanceId), [], "no process left");
    },
  );
}

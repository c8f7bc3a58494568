import t from "tap";
import { fixture, processesGone, strmbrkr } from "./lib/cli.js";
import { resolveConfig } from "../runtime/config/config.js";
import { HostContext } from "../runtime/host/host-context.js";
import { Stopped } from "../runtime/util/errors.js";

// main returns with jobs still out: one warning line on stderr, exit 0 (main's outcome), nothing left running.
const warning = (count: number, jobs: string) =>
  `strmbrkr: WARNING: main returned with ${count} ${jobs} not finished (0 processed, 0 failed); they were stopped and their results dropped: await them (queue.blockUntilProcessed(), each submit) before main returns\n`;

const cases = [
  { scenario: "queued", what: "an async main that queues jobs and returns", stdout: "", stderr: warning(3, "jobs") },
  {
    scenario: "timeout",
    what: "a main that catches blockUntilProcessed's timeout and returns",
    stdout: "caught: 2 jobs left after waiting 0.2 s\n",
    stderr: warning(2, "jobs"),
  },
  // Its submit's promise rejects as the queue closes and nobody handles it: no stack into strmbrkr's files.
  { scenario: "sync", what: "a non-async main whose submit(...).then(...) outlives it", stdout: "", stderr: warning(1, "job") },
];

for (const { scenario, what, stdout, stderr } of cases) {
  t.test(`${what}: exit 0 and one line saying what was stopped`, { timeout: 30_000 }, async (t) => {
    const result = await strmbrkr(["run", fixture("cli-unfinished.ts"), "--workers", "2", "--", scenario], { timeoutMs: 25_000 });
    t.equal(result.code, 0, "exit code 0", { stderr: result.stderr });
    t.equal(result.stderr, stderr, "only the warning: no stack, no store starting as the run stops");
    t.equal(result.stdout, stdout);
    t.same(await processesGone(result.instanceId), [], "no process left");
  });
}

t.test("once the run stops, the instance starts no broker and no store", { timeout: 10_000 }, async (t) => {
  const instance = new HostContext(resolveConfig());
  instance.beginShutdown();
  t.throws(() => instance.hub(), Stopped);
  await t.rejects(instance.kvsEndpoint(), Stopped);
  instance.startKvs(); // a late need-kvs: refused quietly
});

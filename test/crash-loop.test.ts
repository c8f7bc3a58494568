import t from "tap";
import { fixture, processesGone, reliabilityRow, strmbrkr } from "./lib/cli.js";

const script = fixture("rel-worker-import-throws.ts");

t.test("a bundle that throws at import in the workers stops the run with that error and its .ts line", async (t) => {
  const started = Date.now();
  const result = await strmbrkr(["run", script, "--workers", "2", "--no-progress"], { timeoutMs: 30_000 });
  t.equal(result.code, 1);
  t.match(result.stderr, /the workers could not start:\nError: boom in worker import\n\s+at .*rel-worker-import-throws\.ts:6:\d+/);
  t.notMatch(result.stdout, /main ran/, "main never ran");
  const seconds = (Date.now() - started) / 1000;
  t.ok(seconds < 15, "stopped quickly instead of forking forever");
  const leftover = await processesGone(result.instanceId);
  t.same(leftover, [], "no process left");
  reliabilityRow(t, {
    scenario: `crash loop: the run stops with the script's error in ${seconds.toFixed(1)} s`,
    fault: "bundle throws at import in every worker",
    queued: 0,
    received: 0,
    lost: 0,
    duplicated: 0,
    leftover: leftover.length,
  });
});

t.test("workers that exit at start again and again stop the run", async (t) => {
  const result = await strmbrkr(["run", script, "--workers", "2", "--no-progress"], { env: { REL_MODE: "exit" }, timeoutMs: 30_000 });
  t.equal(result.code, 1);
  t.match(result.stderr, /workers keep exiting before they start \(the last one with exit code 3\)/);
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("workers whose script never finishes loading stop the run after STRMBRKR_WORKER_START_TIMEOUT", async (t) => {
  const result = await strmbrkr(["run", fixture("rel-endless-top.ts"), "--workers", "2", "--no-progress"], {
    env: { STRMBRKR_WORKER_START_TIMEOUT: "1" },
    timeoutMs: 30_000,
  });
  t.equal(result.code, 1);
  t.equal(
    result.stderr.trim(),
    "strmbrkr: the workers could not start:\nScriptError: 2 of 2 workers did not load the job script within 1 s (STRMBRKR_WORKER_START_TIMEOUT); does its top level run forever?",
  );
  t.notMatch(result.stdout, /main ran/);
  t.same(await processesGone(result.instanceId), [], "no process left, the spinning workers included");
});

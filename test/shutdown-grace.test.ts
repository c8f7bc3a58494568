import t from "tap";
import type { ChildProcess } from "node:child_process";
import { fixture, processesGone, reliabilityRow, strmbrkr } from "./lib/cli.js";

const script = fixture("rel-grace.ts");

/** Sends `signals` to the host once both workers have started a job. */
function interruptWhenBusy(signals: NodeJS.Signals[]) {
  return (child: ChildProcess) => {
    let running = 0;
    child.stdout!.on("data", (chunk: Buffer) => {
      running += chunk.toString().split("running").length - 1;
      if (running >= 2 && signals.length > 0) for (const signal of signals.splice(0)) child.kill(signal);
    });
  };
}

t.test("Ctrl-C lets running jobs finish within the grace period and reports them", async (t) => {
  const result = await strmbrkr(["run", script, "--workers", "2", "--no-progress", "--", "1500"], {
    env: { STRMBRKR_SHUTDOWN_GRACE: "20" },
    timeoutMs: 30_000,
    onSpawn: interruptWhenBusy(["SIGINT"]),
  });
  t.equal(result.code, 130);
  t.match(result.stderr, /interrupted: 2 jobs processed, 0 failed, 2 not finished/);
  const leftover = await processesGone(result.instanceId);
  t.same(leftover, [], "no process left");
  reliabilityRow(t, {
    scenario: "Ctrl-C mid-run: 4 × 1.5 s jobs, 2 workers (2 never started, reported as not finished)",
    fault: "SIGINT with 2 jobs running",
    queued: 4,
    received: 2,
    lost: 0,
    duplicated: 0,
    leftover: leftover.length,
  });
});

t.test("jobs still running when the grace period ends are killed", async (t) => {
  const started = Date.now();
  const result = await strmbrkr(["run", script, "--workers", "2", "--no-progress", "--", "20000"], {
    env: { STRMBRKR_SHUTDOWN_GRACE: "0.5" },
    timeoutMs: 30_000,
    onSpawn: interruptWhenBusy(["SIGTERM"]),
  });
  t.equal(result.code, 143);
  t.match(result.stderr, /interrupted: 0 jobs processed, 0 failed, 4 not finished/);
  t.ok(Date.now() - started < 15_000, "did not wait for the 20 s jobs");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("a second Ctrl-C exits at once and still leaves no process", async (t) => {
  const started = Date.now();
  const result = await strmbrkr(["run", script, "--workers", "2", "--no-progress", "--", "20000"], {
    env: { STRMBRKR_SHUTDOWN_GRACE: "60" },
    timeoutMs: 30_000,
    onSpawn: (child) => {
      interruptWhenBusy(["SIGINT"])(child);
      // Identical pending signals merge: send the second only once the first was handled.
      child.stderr!.on("data", (chunk: Buffer) => chunk.toString().includes("Ctrl-C again") && child.kill("SIGINT"));
    },
  });
  t.equal(result.code, 130);
  t.notMatch(result.stderr, /interrupted:/, "did not wait for the grace period");
  t.ok(Date.now() - started < 15_000, "did not wait for the 20 s jobs");
  t.same(await processesGone(result.instanceId, 5_000), [], "children follow their owner out within 5 s");
});

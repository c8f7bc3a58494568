import t from "tap";
import { fixture, lastJson, processesGone, processesRunning, reliabilityRow, strmbrkr } from "./lib/cli.js";

const script = fixture("rel-heartbeat.ts");
const FAST_BEATS = { STRMBRKR_HEARTBEAT_INTERVAL: "0.1", STRMBRKR_HEARTBEAT_LIVENESS: "3" };

t.test("a worker that stops answering (SIGSTOP) is declared lost and its job finishes on another", async (t) => {
  let stopped: number | undefined;
  t.teardown(() => {
    if (stopped === undefined) return;
    try {
      process.kill(stopped, "SIGKILL");
    } catch {
      // already killed by the hub, as it should be
    }
  });
  const result = await strmbrkr(["run", script, "--workers", "2", "--no-progress", "--", "stop"], {
    env: FAST_BEATS,
    timeoutMs: 30_000,
    onSpawn: (child) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        const match = /running (\d+)/.exec(chunk.toString());
        if (match && stopped === undefined) {
          stopped = Number(match[1]);
          process.kill(stopped, "SIGSTOP");
        }
      });
    },
  });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  t.ok(stopped, "a worker was stopped mid-job");
  t.same(lastJson(result.stdout), { status: "processed", attempts: 2 }, "re-dispatched and done on the other worker");
  t.match(result.stderr, /was lost after 300 ms without a heartbeat/);
  const leftover = await processesGone(result.instanceId);
  t.same(leftover, [], "no process left, the stopped worker included");
  reliabilityRow(t, {
    scenario: "silent worker: 1 job, 2 workers",
    fault: "SIGSTOP the worker running it",
    queued: 1,
    received: 1,
    lost: 0,
    duplicated: 0,
    leftover: leftover.length,
  });
});

t.test("a job that blocks its worker's event loop far past the heartbeat limit is not declared lost", async (t) => {
  const result = await strmbrkr(["run", script, "--workers", "1", "--no-progress", "--", "busy", "2000"], {
    env: FAST_BEATS,
    timeoutMs: 30_000,
  });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  t.same(lastJson(result.stdout), { status: "processed", attempts: 1 }, "ran once, to the end");
  t.notMatch(result.stderr, /without a heartbeat/);
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("workers that lose the broker reconnect with backoff, and every job still comes back once", async (t) => {
  let hub: number | undefined;
  t.teardown(() => {
    try {
      if (hub !== undefined) process.kill(hub, "SIGCONT"); // should the test fail while it is frozen
    } catch {
      // gone with the run, as it should be
    }
  });
  const result = await strmbrkr(["run", fixture("rel-reconnect.ts"), "--workers", "2", "--no-progress", "--", "200"], {
    env: FAST_BEATS,
    timeoutMs: 60_000,
    onSpawn: (child, instanceId) => {
      child.stdout!.once("data", () => {
        hub = processesRunning(instanceId, "runtime/hub/main.js")[0];
        if (hub === undefined) return;
        process.kill(hub, "SIGSTOP"); // the broker goes silent, as over a dead link
        child.stderr!.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("reconnecting (next try in 200 ms)")) process.kill(hub!, "SIGCONT");
        });
      });
    },
  });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  t.ok(hub, "the broker's process was frozen");
  t.match(result.stderr, /the broker has been silent for \d+ ms; reconnecting \(next try in 100 ms\)/, "first try after one interval");
  t.match(result.stderr, /reconnecting \(next try in 200 ms\)/, "then backing off");
  const report = lastJson(result.stdout);
  t.same(report, { queued: 200, received: 200, processed: 200 }, "every job came back once");
  const leftover = await processesGone(result.instanceId);
  t.same(leftover, [], "no process left");
  reliabilityRow(t, {
    scenario: "lost broker: 200 × 10 ms jobs, 2 workers reconnect with backoff",
    fault: "SIGSTOP the broker's process until workers back off",
    queued: report.queued,
    received: report.received,
    lost: report.queued - report.received,
    duplicated: 0,
    leftover: leftover.length,
  });
});

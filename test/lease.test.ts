/**
 * A lone job's lease (runtime/transport/lease.ts, docs/architecture.md): a QueueManager sends a lone
 * job straight to an idle worker the broker leased it, and the broker stays the one authority on
 * the job's fate: a leased worker's death, a cancel, the watchdog and a client that goes all end
 * as they do for a job the broker dispatched.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { runScenario, type TapTest } from "./lib/scenario.js";

function run(t: TapTest, scenario: string, options: { env?: Record<string, string> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-lease-test-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return runScenario(t, "lease.ts", scenario, { workers: 2, args: [dir], timeoutMs: 90_000, ...options });
}

t.test("a lone job goes to the leased worker straight: it comes back while the hub is stopped", { timeout: 120_000 }, async (t) => {
  const { summary, result } = await run(t, "bypass", { env: { STRMBRKR_LOGGING_LEVEL: "DEBUG" } });
  t.match(result.stderr, /strmbrkr\.broker - DEBUG - leased worker pid \d+ to a queue manager \(lease 1\)/, "the broker says so");
  t.equal(summary.value, 42, "its value");
  t.ok(summary.whileStopped, "it came while the hub was stopped");
  t.equal(summary.after, 43, "the next lone job too, once the hub runs again");
});

t.test(
  "the leased worker dies with a job it took, the hub stopped meanwhile: the job runs again elsewhere",
  { timeout: 120_000 },
  async (t) => {
    const { summary, result } = await run(t, "crash");
    t.equal(summary.status, "processed", "the job ended well");
    t.ok(summary.ranAgainOn > 0 && summary.ranAgainOn !== summary.crashed, "on another worker", summary);
    t.equal(summary.after, 7, "lone jobs go on");
    // The pool always says so; the broker too when it had heard of the job (the client's LEASED read
    // before the worker's exit), else the client's RESEND brings the job back without a word.
    t.match(
      result.stderr,
      /strmbrkr\.pool - WARNING - worker \d+\.\d+ exited with exit code 3; starting a replacement/,
      "the loss is reported",
      {
        stderr: result.stderr,
      },
    );
  },
);

t.test(
  "the leased worker dies before it reads a job sent to it: the client sends the job the broker's way",
  { timeout: 120_000 },
  async (t) => {
    const { summary } = await run(t, "unread");
    t.equal(summary.again, summary.leased, "lone jobs ran on the leased worker");
    t.equal(summary.status, "processed", "the unread job ended well");
    t.ok(summary.ranOn > 0 && summary.ranOn !== summary.leased, "on another worker", summary);
  },
);

t.test("cancel of a running leased job kills its worker; the job ends Cancelled", { timeout: 120_000 }, async (t) => {
  const { summary } = await run(t, "cancel");
  t.equal(summary.accepted, true, "cancel returned true");
  t.equal(summary.status, "failed");
  t.equal(summary.error?.name, "Cancelled");
  t.match(summary.error?.message, /was cancelled while running; its worker \(pid \d+\) was killed and replaced$/);
  t.equal(summary.after, 8, "lone jobs go on");
});

t.test("a leased job that throws fails with its error; one with retries is retried", { timeout: 120_000 }, async (t) => {
  const { summary } = await run(t, "failures");
  t.equal(summary.failed.status, "failed");
  t.equal(summary.failed.error?.name, "RangeError", "its error");
  t.equal(summary.failed.error?.message, "lone job failed");
  t.equal(summary.retried.status, "processed", "retried, then it ended well");
  t.equal(summary.after, summary.leased, "lone jobs still go to the leased worker");
});

t.test("the watchdog ends a leased job past its timeout", { timeout: 120_000 }, async (t) => {
  const { summary } = await run(t, "watchdog");
  t.equal(summary.status, "failed");
  t.equal(summary.error?.name, "WatchdogTimeout");
  t.match(summary.error?.message, /ran longer than its 1 s watchdog limit; its worker \(pid \d+\) was killed and replaced/);
  t.equal(summary.after, 9, "lone jobs go on");
});

t.test("after the lease's client stops, the broker takes the worker back when jobs wait", { timeout: 120_000 }, async (t) => {
  const { summary } = await run(t, "handback");
  t.not(summary.pids[0], summary.pids[1], "two workers ran the two jobs");
  t.ok(summary.overlap, "side by side", summary);
});

t.test(
  "a burst after lone jobs: the idle lease is released, its worker runs jobs at once; each job once",
  { timeout: 120_000 },
  async (t) => {
    const { summary, result } = await run(t, "burst", { env: { STRMBRKR_LOGGING_LEVEL: "DEBUG" } });
    t.match(result.stderr, /strmbrkr\.broker - DEBUG - released the lease of worker pid \d+ \(lease \d+\)/, "the broker says so");
    t.equal(summary.rounds.length, 3, "three rounds of lone jobs, then a burst");
    for (const round of summary.rounds) {
      t.not(round.pids[0], round.pids[1], "two workers ran the two long jobs");
      t.ok(round.overlap, "side by side", round);
      t.same(
        round.echoed,
        Array.from({ length: 20 }, (_, i) => i),
        "every short job came back once, with its value",
      );
    }
    t.equal(summary.after, 7, "lone jobs go on");
  },
);

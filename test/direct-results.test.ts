/**
 * Direct copies of results (runtime/transport/direct.ts): a local worker sends the result of a job from a
 * small dispatch straight to its QueueManager too. The QueueManager settles each job once, whichever
 * copy comes first; the copy needs no hub; a copy with nowhere to go is dropped without harm.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { readBatch } from "../runtime/wire/job-batch.js";
import { DirectResults, isResultsSocketPath, listenForResults, resultsSocketPath } from "../runtime/transport/direct.js";
import { Front, type JobResult } from "../runtime/wire/jobs.js";
import { fixture, lastJson, processesGone, strmbrkr } from "./lib/cli.js";

t.test("each job settled once, and a result comes while the hub is stopped", { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-direct-test-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const result = await strmbrkr(["run", fixture("direct-results.ts"), "--workers", "1", "--no-progress", "--", join(dir, "hub.pid")], {
    timeoutMs: 60_000,
  });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-2000) });
  const { queued, submitted, called, ids, extra, value, cameWhileStopped } = lastJson(result.stdout);
  const rounds = Array.from({ length: 30 }, (_, i) => i);
  t.same(queued, rounds, "queueJobs one at a time: each result once, in getResults");
  t.same(submitted, rounds, "submit one at a time: each value");
  t.same(called, ids, "processedCallback: called once per job, in order");
  t.equal(extra, 0, "no second copy reached the results");
  t.equal(value, "returned while the hub was stopped", "the job's value");
  t.ok(cameWhileStopped, "it came while the hub was stopped: straight from the worker");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("results sockets: which paths the broker accepts", async (t) => {
  const runDir = "/tmp/strmbrkr-x-abc";
  const mine = resultsSocketPath(runDir);
  t.ok(isResultsSocketPath(runDir, mine), "a path this process makes");
  t.ok(isResultsSocketPath(runDir, `${runDir}/results-1-2.sock`), "any process's in the run directory");
  for (const path of [
    `/tmp/other/results-1-2.sock`,
    `${runDir}/sub/results-1-2.sock`,
    `${runDir}/results-1.sock`,
    `${runDir}/frontend-local.sock`,
    `${runDir}/../results-1-2.sock`,
    "",
    "/etc/passwd",
  ]) {
    t.notOk(isResultsSocketPath(runDir, path), `not ${JSON.stringify(path)}`);
  }
});

t.test("a copy reaches a listening socket; one with nowhere to go, or malformed, is dropped", { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-direct-test-"));
  const sender = new DirectResults();
  t.teardown(() => {
    sender.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const result = (id: string, value: string): JobResult => ({
    id,
    ok: true,
    value: Buffer.from(JSON.stringify(value)),
    delegatedAt: 1,
    startedMs: 1,
    processedMs: 1,
  });
  sender.send([{ path: join(dir, "results-1-1.sock"), result: result("1-1", "lost") }]); // no one listens: no throw
  const path = resultsSocketPath(dir);
  const received: { id: string; value: string }[] = [];
  let arrived!: () => void;
  const done = new Promise<void>((resolve) => (arrived = resolve));
  const server = await listenForResults(path, 1024 * 1024, (frames) => {
    t.equal(frames[0]?.toString(), Front.RESULTS, "a RESULTS message");
    const { items, sizes, blob } = readBatch<JobResult>(frames, 1);
    let offset = 0;
    items.forEach((item, i) => {
      received.push({ id: item.id, value: JSON.parse(blob.toString("utf8", offset, offset + sizes[i]!)) as string });
      offset += sizes[i]!;
    });
    if (received.length === 2) arrived();
  });
  t.teardown(() => server.close());
  // Garbage first, on a connection of its own: it costs that connection only.
  const hostile = connect(path);
  hostile.on("error", () => {});
  const dropped = new Promise<void>((resolve) => hostile.on("close", () => resolve()));
  hostile.write(Buffer.from([0, 0, 0, 5, 0, 0, 0, 9, 1])); // a frame longer than its message: the listener hangs up
  await dropped;
  sender.send([
    { path, result: result("1-2", "a") },
    { path, result: result("1-3", "b") },
  ]);
  // Both sides are unref'd (copies never keep a process alive): this timer keeps the test's alive meanwhile.
  let timer!: NodeJS.Timeout;
  await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))]);
  clearTimeout(timer);
  t.same(
    received,
    [
      { id: "1-2", value: "a" },
      { id: "1-3", value: "b" },
    ],
    "both results, in one batch, values intact",
  );
});

import t from "tap";
import { fixture, lastJson, processesGone, strmbrkr } from "./lib/cli.js";

t.test("arguments over STRMBRKR_MAX_MESSAGE_BYTES are refused at queueJobs; a result over it fails its job", async (t) => {
  const limit = 256 * 1024;
  const result = await strmbrkr(["run", fixture("rel-size.ts"), "--workers", "1", "--no-progress"], {
    env: { STRMBRKR_MAX_MESSAGE_BYTES: String(limit) },
    timeoutMs: 30_000,
  });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  const report = lastJson(result.stdout);
  t.equal(report.refused?.name, "RangeError");
  t.match(report.refused?.message, /Job \d+-\d+ \(length\): its arguments are \d+ bytes, over STRMBRKR_MAX_MESSAGE_BYTES \(262144\)/);
  t.equal(report.fits, limit - 1024, "a job just under the limit runs");
  t.equal(report.tooBig.status, "failed");
  t.match(report.tooBig.error, /\(make\) returned \d+ bytes, over STRMBRKR_MAX_MESSAGE_BYTES \(262144\)/);
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("many near-limit arguments and results at once: each message stays under the limit, every job succeeds", async (t) => {
  const limit = 4 * 1024 * 1024; // two such payloads in one frame would pass the sockets' limit (this + 1 MiB)
  const result = await strmbrkr(["run", fixture("rel-size.ts"), "--workers", "2", "--no-progress"], {
    env: { STRMBRKR_MAX_MESSAGE_BYTES: String(limit) },
    timeoutMs: 60_000,
  });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  t.same(lastJson(result.stdout).many, Array(16).fill(limit - 1024), "8 big arguments and 8 big results");
  t.notMatch(result.stderr, /WARNING|ERROR/, "no worker lost, no message dropped", { stderr: result.stderr.slice(-3000) });
  t.same(await processesGone(result.instanceId), [], "no process left");
});

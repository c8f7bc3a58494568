/**
 * A worker's held reports (runtime/worker/link.ts, docs/architecture.md "Reports held back"): the
 * report of a leased job whose copy its client has waits, and goes at once whenever the broker
 * holds the job. Driven in this process against a real unix socket for the broker and one for the
 * client's copies, with the wait made a minute long, so a report that arrives was not held.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { LocalRouter, listenForMessages } from "../runtime/transport/local-router.js";
import { localAddress, localPathOf } from "../runtime/transport/endpoints.js";
import { BatchBuilder, readBatch } from "../runtime/wire/job-batch.js";
import { Back, Lease, type JobDispatch, type JobResult } from "../runtime/wire/jobs.js";
import { encode } from "../runtime/wire/serialize.js";
import { BrokerLink } from "../runtime/worker/link.js";

const WORKER = "1.1";
const CLIENT = Buffer.from("\0local:1", "latin1").toString("base64");

/** Messages as they come, waited for by what they say. */
class Inbox {
  readonly messages: string[][] = [];
  #waiting: { match: (frames: string[]) => boolean; found: (frames: string[]) => void }[] = [];

  add(frames: Buffer[]): void {
    const message = frames.map((frame) => frame.toString("latin1"));
    this.messages.push(message);
    for (const waiter of this.#waiting.filter(({ match }) => match(message))) {
      this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
      waiter.found(message);
    }
  }

  /** The first message, come or to come, that `match` takes. */
  next(match: (frames: string[]) => boolean): Promise<string[]> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((found) => this.#waiting.push({ match, found }));
  }
}

/** The ids in a [command, header, blob] batch that follows `skip` frames. */
const idsIn = (frames: string[], skip: number) =>
  (
    readBatch(
      frames.slice(skip).map((frame) => Buffer.from(frame, "latin1")),
      0,
    ).items as { id: string }[]
  ).map(({ id }) => id);
const resultsNaming = (id: string) => (frames: string[]) => frames[1] === Back.RESULTS && idsIn(frames, 2).includes(id);

t.test("held reports go at once whenever the broker holds the job", { timeout: 60_000 }, async (t) => {
  const runDir = mkdtempSync(join(tmpdir(), "strmbrkr-held-reports-"));
  const backend = localAddress(runDir, "backend");
  const hub = await LocalRouter.bind(localPathOf(backend)!, 1 << 20);
  const atHub = new Inbox();
  void (async () => {
    for await (const frames of hub) atHub.add(frames); // [worker id, command, ...]
  })();
  const copiesPath = join(runDir, `results-${process.pid}-1.sock`);
  const atClient = new Inbox();
  const copies = await listenForMessages(copiesPath, 1 << 20, (frames) => atClient.add(frames));

  // Each job's run is settled by the test: `finish(id)` ends it; `started(id)` waits for its start.
  const running = new Map<string, () => void>();
  const starts = new Inbox();
  const link = new BrokerLink({
    endpoint: backend,
    routingId: WORKER,
    hello: "{}",
    heartbeatMs: 60_000,
    liveness: 3,
    runDir,
    reportWaitMs: 60_000,
    run: (job: JobDispatch) =>
      new Promise<JobResult>((resolve) => {
        running.set(job.id, () => resolve({ id: job.id, ok: true, value: encode(job.id), runMs: 0.01, processedMs: 0 }));
        starts.add([Buffer.from(job.id)]);
      }),
  });
  t.teardown(() => {
    link.close();
    hub.close();
    copies.close();
    rmSync(runDir, { recursive: true, force: true });
  });
  const finish = (id: string) => running.get(id)!();
  const started = (id: string) => starts.next(([started]) => started === id);
  const leased = (id: string, epoch: number) => {
    const builder = new BatchBuilder();
    builder.add(JSON.stringify({ id, fn: "echo" }), encode([id]));
    const [, header, blob] = builder.frames("");
    link.takeLeased([Lease.JOB, CLIENT, String(epoch), copiesPath, header, blob].map((frame) => Buffer.from(frame as string | Buffer)));
  };
  const copyOf = (id: string) => atClient.next((frames) => frames[0] === "results" && idsIn(frames, 1).includes(id));

  await atHub.next((frames) => frames[1] === Back.READY);
  void hub.send([WORKER, Back.LEASE, "1"]);
  // A revoke of another epoch is answered, and leaves lease 1 alone: once the answer is here, the worker holds lease 1.
  void hub.send([WORKER, Back.REVOKE, "0"]);
  await atHub.next((frames) => frames[1] === Back.REVOKED && frames[2] === "0");
  // The first copy opens the connection to the client's socket: not `copied`, so reported at once.
  leased("probe", 1);
  await started("probe");
  finish("probe");
  await copyOf("probe");
  await atHub.next(resultsNaming("probe"));

  await t.test("a copied result's report waits: a PASSED sent later arrives first", async (t) => {
    leased("a", 1);
    await started("a");
    finish("a");
    await copyOf("a");
    leased("elsewhere", 99); // an epoch the worker does not hold: PASSED at once
    const passed = await atHub.next((frames) => frames[1] === Back.PASSED && idsIn(frames, 3).includes("elsewhere"));
    const passedAt = atHub.messages.indexOf(passed);
    t.notOk(atHub.messages.slice(0, passedAt).some(resultsNaming("a")), "no report of a before the PASSED");
    link.reportAnnounced(); // the client's Lease.REPORT
    const report = await atHub.next(resultsNaming("a"));
    const [result] = readBatch(
      report.slice(2).map((frame) => Buffer.from(frame, "latin1")),
      0,
    ).items as JobResult[];
    t.equal(result!.copied, true, "it was a copied result");
    t.same(result!.lease, { client: CLIENT, fn: "echo" }, "of a leased job");
  });

  await t.test("REPORT read while a job runs: that job's report goes as it ends", async (t) => {
    leased("b", 1);
    await started("b");
    link.reportAnnounced();
    finish("b");
    await copyOf("b");
    const report = await atHub.next(resultsNaming("b"));
    t.ok(report, "reported without waiting");
  });

  await t.test("a job REVOKED listed is reported at once when it ends", async (t) => {
    leased("c", 1);
    await started("c");
    void hub.send([WORKER, Back.REVOKE, "1"]);
    const revoked = await atHub.next((frames) => frames[1] === Back.REVOKED && frames[2] === "1");
    t.same(idsIn(revoked, 3), ["c"], "REVOKED lists the running job");
    finish("c");
    await copyOf("c");
    const report = await atHub.next(resultsNaming("c"));
    t.ok(report, "reported without waiting");
  });
});

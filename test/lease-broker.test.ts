/**
 * The broker's side of a lone job's lease (runtime/hub/broker.ts, leases.ts), driven message by
 * message in this process: the orders of arrival a real run makes only by chance — a leased job's
 * result, its client's LEASED or RESEND and its worker's REVOKED or PASSED crossing each other, a
 * cancel read before the broker knows the job — end as the architecture says.
 */
import t from "tap";
import type { MessageLike } from "zeromq";
import { Broker, type BrokerHooks } from "../runtime/hub/broker.js";
import { MessageStream } from "../runtime/transport/message-stream.js";
import { PROTOCOL_VERSION } from "../runtime/wire/context.js";
import { BatchBuilder, readBatch } from "../runtime/wire/job-batch.js";
import { Back, Front, type JobResult, type LeaseGrant } from "../runtime/wire/jobs.js";
import type { TapTest } from "./lib/scenario.js";

const RUN_DIR = "/tmp/strmbrkr-lease-broker-test";
const CLIENT = "\0local:1";
const CLIENT_PID = 111;

/** One side of the broker: peers' messages in, and the broker's messages out, waited for by what they say. */
class FakeRouter {
  readonly closed = false;
  #in = new MessageStream();
  #out: string[][] = [];
  #waiting: { match: (frames: string[]) => boolean; found: (frames: string[]) => void }[] = [];

  from(id: string, ...frames: (string | Buffer)[]): void {
    this.#in.push([Buffer.from(id, "latin1"), ...frames.map((frame) => (Buffer.isBuffer(frame) ? frame : Buffer.from(frame, "latin1")))]);
  }

  send(frames: MessageLike[]): Promise<void> {
    const message = frames.map((frame) => Buffer.from(frame as Uint8Array | string).toString("latin1"));
    const waiter = this.#waiting.find(({ match }) => match(message));
    if (waiter) {
      this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
      waiter.found(message);
    } else this.#out.push(message);
    return Promise.resolve();
  }

  /** The first message sent (or to be sent) to `to` whose command is `command`. */
  next(to: string, command: string): Promise<string[]> {
    const match = (frames: string[]) => frames[0] === to && frames[1] === command;
    const index = this.#out.findIndex(match);
    if (index >= 0) return Promise.resolve(this.#out.splice(index, 1)[0]!);
    return new Promise((found) => this.#waiting.push({ match, found }));
  }

  /** Whether a message to `to` with `command` was sent and not taken yet. */
  holds(to: string, command: string): boolean {
    return this.#out.some((frames) => frames[0] === to && frames[1] === command);
  }

  /** The commands of the messages sent to `to` and not taken yet, in the order they were sent. */
  commandsTo(to: string): string[] {
    return this.#out.filter((frames) => frames[0] === to).map((frames) => frames[1]!);
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer[]> {
    return this.#in[Symbol.asyncIterator]();
  }
}

function jobBatch(id: string, fn = "work"): [Buffer | string, Buffer | string] {
  return jobsBatch([id], fn);
}

function jobsBatch(ids: string[], fn = "work"): [Buffer | string, Buffer | string] {
  const batch = new BatchBuilder();
  for (const id of ids) batch.add(JSON.stringify({ id, fn }), "[]");
  const [, json, args] = batch.frames(Front.SUBMIT);
  return [json!, args!];
}

function results(frames: string[]): JobResult[] {
  return readBatch<JobResult>(
    frames.slice(2).map((frame) => Buffer.from(frame, "latin1")),
    0,
  ).items;
}

function start(t: TapTest, watchdogMs = 0, local = true) {
  const front = new FakeRouter();
  const back = new FakeRouter();
  const killed: string[] = [];
  const pids = new Map([
    ["w.1", 201],
    ["w.2", 202],
  ]);
  const hooks: BrokerHooks = {
    killWorker: (id) => killed.push(id),
    releaseWorker: () => {},
    isRunning: () => true,
    isWorker: (id) => pids.has(id),
    workerReady: () => {},
    changed: () => {},
    watchdogMs: () => watchdogMs,
    acceptsResultsSocket: () => true,
    leaseSocketOf: (_id, pid) => (local ? `${RUN_DIR}/worker-${pid}.sock` : undefined),
  };
  const broker = new Broker({
    frontend: front,
    backend: back,
    hooks,
    limits: { maxLost: 3, maxMemoryMb: 0, heartbeatMs: 60_000, silenceMs: 600_000 },
  });
  t.teardown(() => broker.close());
  for (const [id, pid] of pids) back.from(id, Back.READY, JSON.stringify({ version: PROTOCOL_VERSION, pid, poolId: 1 }));
  front.from(CLIENT, Front.DIRECT, `${RUN_DIR}/results-${CLIENT_PID}-1.sock`);
  return { front, back, broker, killed };
}

/** A lone job through the broker; returns the lease the client then holds and the worker it names. */
async function lease(t: TapTest, front: FakeRouter, back: FakeRouter) {
  front.from(CLIENT, Front.SUBMIT, ...jobBatch("j1"));
  const [, , json] = await front.next(CLIENT, Front.LEASE);
  const grant = JSON.parse(json!) as LeaseGrant;
  const leased = grant.path.endsWith("worker-201.sock") ? "w.1" : "w.2";
  const other = leased === "w.1" ? "w.2" : "w.1";
  const [, , epoch] = await back.next(leased, Back.LEASE);
  t.equal(epoch, String(grant.epoch), "the worker and the client are told the same epoch");
  const [, , dispatched] = await back.next(other, Back.JOBS);
  t.match(dispatched, /"id":"j1"/, "the lone job went to the other worker");
  back.from(other, Back.RESULTS, ...resultOf("j1"));
  await front.next(CLIENT, Front.RESULTS);
  return { grant, leased, other };
}

function resultOf(id: string, lease?: { client: string; copied?: boolean }): [string, Buffer] {
  const batch = new BatchBuilder();
  batch.add(
    JSON.stringify({ id, ok: true, runMs: 1, ...(lease && { lease: { client: lease.client, fn: "work" }, copied: lease.copied }) }),
    "1",
  );
  const [, json, value] = batch.frames(Back.RESULTS);
  return [json as string, value as Buffer];
}

/** The ids of the jobs the broker dispatches to `worker`, until there are `count`. */
async function dispatched(back: FakeRouter, worker: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const [, , json] = await back.next(worker, Back.JOBS);
    ids.push(...[...json!.matchAll(/"id":"(\w+)"/g)].map((match) => match[1]!));
  }
  return ids;
}

/** Lets the broker read what was sent to it. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

t.test(
  "a leased job's result the broker never held goes to its client, unless the worker's copy was delivered",
  { timeout: 10_000 },
  async (t) => {
    const { front, back } = start(t);
    const { grant, leased } = await lease(t, front, back);
    t.equal(Buffer.from(grant.client, "base64").toString("latin1"), CLIENT, "the client learns its own routing id");
    back.from(leased, Back.RESULTS, ...resultOf("j2", { client: grant.client }));
    const answer = results(await front.next(CLIENT, Front.RESULTS));
    t.same(
      answer.map(({ id }) => id),
      ["j2"],
      "the broker's copy of the leased job's result",
    );
    t.equal(answer[0]!.lease, undefined, "without the worker's own fields");
    back.from(leased, Back.RESULTS, ...resultOf("j3", { client: grant.client, copied: true }));
    await settle();
    t.notOk(front.holds(CLIENT, Front.RESULTS), "a delivered copy is not sent twice");
    front.from(CLIENT, Front.RESEND, ...jobBatch("j3"));
    front.from(CLIENT, Front.LEASED, String(grant.epoch), ...jobBatch("j2"));
    await settle();
    t.notOk(
      back.holds(leased, Back.JOBS) || back.holds("w.1", Back.JOBS) || back.holds("w.2", Back.JOBS),
      "words of them after their results run nothing",
    );
  },
);

t.test("an announced job is held on its leased worker: its result is answered, the watchdog runs", { timeout: 10_000 }, async (t) => {
  const { front, back, killed } = start(t, 100);
  const { grant, leased } = await lease(t, front, back);
  front.from(CLIENT, Front.LEASED, String(grant.epoch), ...jobBatch("j2"));
  await settle();
  back.from(leased, Back.RESULTS, ...resultOf("j2", { client: grant.client }));
  t.same(
    results(await front.next(CLIENT, Front.RESULTS)).map(({ id, ok }) => [id, ok]),
    [["j2", true]],
    "answered once",
  );
  front.from(CLIENT, Front.LEASED, String(grant.epoch), ...jobBatch("j3"));
  const [late] = results(await front.next(CLIENT, Front.RESULTS));
  t.equal(late?.id, "j3");
  t.equal(late?.error?.name, "WatchdogTimeout", "past the pool's limit");
  t.same(killed, [leased], "its worker is killed");
});

t.test("a cancel of a leased job: announced first, the job is Cancelled and its worker killed", { timeout: 10_000 }, async (t) => {
  const { front, back, killed } = start(t);
  const { grant, leased } = await lease(t, front, back);
  front.from(CLIENT, Front.LEASED, String(grant.epoch), ...jobBatch("j2"));
  front.from(CLIENT, Front.CANCEL, JSON.stringify(["j2"]));
  const [answer] = results(await front.next(CLIENT, Front.RESULTS));
  t.equal(answer?.id, "j2");
  t.equal(answer?.error?.name, "Cancelled", "answered Cancelled");
  t.same(killed, [leased], "its worker, running it, is killed");
});

t.test(
  "the leased worker dies: an announced job runs again elsewhere, an unannounced one when its client sends it again; each once",
  { timeout: 10_000 },
  async (t) => {
    const { front, back, broker } = start(t);
    const { grant, leased, other } = await lease(t, front, back);
    front.from(CLIENT, Front.LEASED, String(grant.epoch), ...jobBatch("j2"));
    await settle();
    broker.workerGone(leased, "with exit code 3");
    t.equal((await front.next(CLIENT, Front.REVOKE))[2], String(grant.epoch), "the client hears its lease is over");
    front.from(CLIENT, Front.RESEND, ...jobBatch("j2"));
    front.from(CLIENT, Front.RESEND, ...jobBatch("j3"));
    front.from(CLIENT, Front.RESEND, ...jobBatch("j3"));
    t.same((await dispatched(back, other, 2)).sort(), ["j2", "j3"], "each once, on the worker left");
    await settle();
    t.notOk(back.holds(other, Back.JOBS), "and nothing more");
  },
);

t.test("REVOKED lists the jobs the worker took: they are held there and run before what comes next", { timeout: 10_000 }, async (t) => {
  const { front, back, killed } = start(t);
  const { grant, leased, other } = await lease(t, front, back);
  // Two jobs of a function not timed yet: one per worker, so the second waits and the lease is revoked.
  front.from(CLIENT, Front.SUBMIT, ...jobBatch("a", "slow"));
  front.from(CLIENT, Front.SUBMIT, ...jobBatch("b", "slow"));
  await back.next(other, Back.JOBS);
  t.equal((await back.next(leased, Back.REVOKE))[2], String(grant.epoch), "the leased worker is asked back");
  t.equal((await front.next(CLIENT, Front.REVOKE))[2], String(grant.epoch), "and its client told");
  front.from(CLIENT, Front.LEASED, String(grant.epoch), ...jobBatch("j2")); // under a lease being revoked: the worker tells
  front.from(CLIENT, Front.CANCEL, JSON.stringify(["j2"])); // read before the broker knows j2
  await settle();
  t.notOk(back.holds(leased, Back.JOBS), "nothing dispatched to it before it answers");
  back.from(leased, Back.REVOKED, String(grant.epoch), ...jobBatch("j2"));
  const [answer] = results(await front.next(CLIENT, Front.RESULTS));
  t.equal(answer?.error?.name, "Cancelled", "the cancel read first ends the job the worker listed");
  t.same(killed, [leased], "running there: its worker is killed");
});

t.test("REVOKED lists a job: its result settles it, the next job goes to the worker after it", { timeout: 10_000 }, async (t) => {
  const { front, back } = start(t);
  const { grant, leased, other } = await lease(t, front, back);
  front.from(CLIENT, Front.SUBMIT, ...jobBatch("a", "slow"));
  front.from(CLIENT, Front.SUBMIT, ...jobBatch("b", "slow"));
  await back.next(other, Back.JOBS);
  await back.next(leased, Back.REVOKE);
  back.from(leased, Back.REVOKED, String(grant.epoch), ...jobBatch("j2"));
  front.from(CLIENT, Front.LEASED, String(grant.epoch), ...jobBatch("j2")); // crossed the REVOKED: dropped
  back.from(leased, Back.RESULTS, ...resultOf("j2", { client: grant.client }));
  t.same(
    results(await front.next(CLIENT, Front.RESULTS)).map(({ id }) => id),
    ["j2"],
    "answered",
  );
  t.same(await dispatched(back, leased, 1), ["b"], "the waiting job goes to it once it finished the one it took");
});

t.test(
  "a submit naming its idle lease: a job that waits goes to the leased worker at once, behind the REVOKE",
  { timeout: 10_000 },
  async (t) => {
    const { front, back } = start(t);
    const { grant, leased, other } = await lease(t, front, back);
    // Two jobs of a function not timed yet: one per worker, so the second waits and the lease is revoked.
    front.from(CLIENT, Front.SUBMIT, ...jobsBatch(["a", "b"], "slow"), String(grant.epoch));
    t.same(await dispatched(back, other, 1), ["a"], "the open worker gets the first");
    await settle();
    t.same(back.commandsTo(leased), [Back.REVOKE, Back.JOBS], "the leased worker is asked back, then given the second, before it answers");
    t.same(await dispatched(back, leased, 1), ["b"]);
    t.equal((await front.next(CLIENT, Front.REVOKE))[2], String(grant.epoch), "its client hears the lease is over");
    back.from(leased, Back.REVOKED, String(grant.epoch), ...jobsBatch([]));
    back.from(leased, Back.RESULTS, ...resultOf("b"));
    back.from(other, Back.RESULTS, ...resultOf("a"));
    const answered: string[] = [];
    while (answered.length < 2) answered.push(...results(await front.next(CLIENT, Front.RESULTS)).map(({ id }) => id));
    t.same(answered.sort(), ["a", "b"], "both answered, once");
  },
);

t.test("a submit naming a lease that is not the client's current one releases nothing", { timeout: 10_000 }, async (t) => {
  const { front, back } = start(t);
  const { grant, leased, other } = await lease(t, front, back);
  front.from(CLIENT, Front.SUBMIT, ...jobsBatch(["a", "b"], "slow"), String(grant.epoch + 1));
  await back.next(other, Back.JOBS);
  await back.next(leased, Back.REVOKE);
  await settle();
  t.notOk(back.holds(leased, Back.JOBS), "nothing dispatched to the leased worker before it answers");
  back.from(leased, Back.REVOKED, String(grant.epoch), ...jobsBatch([]));
  t.same(await dispatched(back, leased, 1), ["b"], "then the waiting job");
});

t.test(
  "an announced job its worker passes back (the lease had not reached it) is queued, not left held",
  { timeout: 10_000 },
  async (t) => {
    const { front, back } = start(t);
    const { grant, leased, other } = await lease(t, front, back);
    front.from(CLIENT, Front.LEASED, String(grant.epoch), ...jobBatch("j2"));
    await settle();
    back.from(leased, Back.PASSED, grant.client, ...jobBatch("j2"));
    back.from(leased, Back.PASSED, grant.client, ...jobBatch("j2")); // a second word of it: dropped
    // Queued with nothing else waiting: the lease is kept, and j2 goes to the open worker.
    t.same(await dispatched(back, other, 1), ["j2"], "dispatched once");
    await settle();
    t.notOk(back.holds(other, Back.JOBS) || back.holds(leased, Back.JOBS), "and nothing more");
  },
);

t.test("a client is never leased a worker of its own process (its nested jobs would wait behind it)", { timeout: 10_000 }, async (t) => {
  const { front, back } = start(t);
  // The client lives in worker w.1's process: only w.2 may be leased to it.
  front.from(CLIENT, Front.DIRECT, `${RUN_DIR}/results-201-1.sock`);
  front.from(CLIENT, Front.SUBMIT, ...jobBatch("j1"));
  const [, , json] = await front.next(CLIENT, Front.LEASE);
  t.match((JSON.parse(json!) as LeaseGrant).path, /worker-202\.sock$/, "the other process's worker");
  t.notOk(back.holds("w.1", Back.LEASE), "not its own");
});

t.test("a remote worker's result naming a lease is dropped; the rest of its batch is settled", { timeout: 10_000 }, async (t) => {
  const { front, back } = start(t, 0, false);
  front.from(CLIENT, Front.SUBMIT, ...jobBatch("j1"));
  const [worker] = await Promise.race([back.next("w.1", Back.JOBS), back.next("w.2", Back.JOBS)]);
  const batch = new BatchBuilder();
  batch.add(
    JSON.stringify({ id: "forged", ok: true, lease: { client: Buffer.from(CLIENT, "latin1").toString("base64"), fn: "work" } }),
    "1",
  );
  batch.add(JSON.stringify({ id: "j1", ok: true, runMs: 1 }), "2");
  const [, json, values] = batch.frames(Back.RESULTS);
  back.from(worker!, Back.RESULTS, json!, values!);
  const answer = results(await front.next(CLIENT, Front.RESULTS));
  t.same(
    answer.map(({ id }) => id),
    ["j1"],
    "only its own job's result reaches the client",
  );
});

/**
 * The broker's dispatch policy (runtime/hub/scheduler.ts), without sockets or timers: which job
 * goes to which worker, how far each worker's credit goes, priorities, long jobs' successors and
 * retry backoff.
 */
import t from "tap";
import { JobTimes, LONG_JOB_MS, MAX_AHEAD, NEXT_LEAD_MS, TARGET_AHEAD_MS } from "../runtime/hub/credit.js";
import { PriorityQueue } from "../runtime/hub/priority-queue.js";
import {
  expectedMs,
  priorityOf,
  retryAfterMs,
  retryDelayMs,
  schedule,
  successorDelayMs,
  takeSuccessor,
  type Dispatch,
  type QueuedJob,
  type WorkerCredit,
} from "../runtime/hub/scheduler.js";
import { DIRECT_MAX_JOBS } from "../runtime/transport/direct.js";

interface TestWorker extends WorkerCredit {
  name: string;
}

const worker = (name: string, { held = 0, aheadMs = 0, retiring = false } = {}): TestWorker => ({ name, held, aheadMs, retiring });

function job(
  id: string,
  { fn = "short", priority, retries, failures = 0 }: { fn?: string; priority?: number; retries?: number; failures?: number } = {},
): QueuedJob {
  return { client: Buffer.from("client"), request: { id, fn, args: new Uint8Array(), priority, retries }, lost: 0, failures };
}

function queueOf(jobs: QueuedJob[]): PriorityQueue<QueuedJob> {
  const queue = new PriorityQueue<QueuedJob>(priorityOf);
  for (const queued of jobs) queue.push(queued);
  return queue;
}

const jobs = (count: number, options: { fn?: string } = {}) => Array.from({ length: count }, (_, i) => job(`j${i + 1}`, options));

/** What is left in the queue, in the order it would go out. */
function left(queue: PriorityQueue<QueuedJob>): string[] {
  const ids: string[] = [];
  for (let queued = queue.shift(); queued; queued = queue.shift()) ids.push(queued.request.id);
  return ids;
}

/** Which worker gets which jobs, in order. */
const plan = (dispatches: Dispatch<TestWorker>[]) =>
  dispatches.map(({ worker, jobs }) => [worker.name, jobs.map(({ request }) => request.id)]);

/**
 * Run times: "short" jobs a quarter of a worker's credit, "brief" ones under LONG_JOB_MS, "tiny"
 * ones nearly nothing, "long" ones 50 ms (over the credit); anything else untimed.
 */
function times(): JobTimes {
  const times = new JobTimes();
  times.observe("short", TARGET_AHEAD_MS / 4);
  times.observe("brief", LONG_JOB_MS / 2);
  times.observe("tiny", 0.001);
  times.observe("long", 50);
  return times;
}

t.test("a job not timed yet goes only to a worker that holds nothing", async (t) => {
  const queue = queueOf(jobs(5, { fn: "untimed" }));
  const workers = [worker("a"), worker("b", { held: 1, aheadMs: 0.5 }), worker("c")];
  const dispatches = schedule(queue, workers, times());
  t.same(
    plan(dispatches),
    [
      ["a", ["j1"]],
      ["c", ["j2"]],
    ],
    "one each to the idle workers; none to the busy one",
  );
  t.same(
    dispatches.map((d) => d.aheadMs),
    [TARGET_AHEAD_MS, TARGET_AHEAD_MS],
    "an untimed job fills a worker's credit",
  );
  t.same(left(queue), ["j3", "j4", "j5"], "the rest wait, in order");
  t.equal(expectedMs(new JobTimes(), job("x", { fn: "untimed" })), TARGET_AHEAD_MS, "expected: a whole worker's credit until timed");
});

t.test("short jobs go in batches up to each worker's credit", async (t) => {
  const queue = queueOf(jobs(10));
  const dispatches = schedule(queue, [worker("a"), worker("b")], times());
  t.same(
    plan(dispatches),
    [
      ["a", ["j1", "j2", "j3", "j4"]],
      ["b", ["j5", "j6", "j7", "j8"]],
    ],
    "four quarter-credit jobs each",
  );
  t.same(
    dispatches.map((d) => d.aheadMs),
    [TARGET_AHEAD_MS, TARGET_AHEAD_MS],
    "each worker's credit used up exactly",
  );
  t.same(left(queue), ["j9", "j10"], "the rest wait for room");
});

t.test("a worker's credit counts the work it already holds", async (t) => {
  const queue = queueOf(jobs(6));
  const workers = [
    worker("full", { held: 4, aheadMs: TARGET_AHEAD_MS }),
    worker("half", { held: 2, aheadMs: TARGET_AHEAD_MS / 2 }),
    worker("idle"),
  ];
  const dispatches = schedule(queue, workers, times());
  t.same(
    plan(dispatches),
    [
      ["half", ["j1", "j2"]],
      ["idle", ["j3", "j4", "j5", "j6"]],
    ],
    "none to the full worker, two to the half-full one",
  );
  t.same(
    dispatches.map((d) => d.aheadMs),
    [TARGET_AHEAD_MS, TARGET_AHEAD_MS],
    "the held work plus the new",
  );
  t.same(left(queue), [], "nothing left");
});

t.test("a short queue is shared over the open workers, not all given to the first", async (t) => {
  const queue = queueOf(jobs(7, { fn: "tiny" }));
  const dispatches = schedule(queue, [worker("a"), worker("b"), worker("c")], times());
  t.same(
    plan(dispatches),
    [
      ["a", ["j1", "j2", "j3"]],
      ["b", ["j4", "j5"]],
      ["c", ["j6", "j7"]],
    ],
    "3, 2 and 2 of 7",
  );
});

t.test("retiring workers get nothing and take no share", async (t) => {
  const queue = queueOf(jobs(4));
  const dispatches = schedule(queue, [worker("leaving", { retiring: true }), worker("b")], times());
  t.same(plan(dispatches), [["b", ["j1", "j2", "j3", "j4"]]], "all four to the one open worker");
  t.same(schedule(queueOf(jobs(2)), [worker("leaving", { retiring: true })], times()), [], "no open worker: no dispatch");
});

t.test("at most MAX_AHEAD jobs go in one dispatch", async (t) => {
  const queue = queueOf(jobs(MAX_AHEAD + 10, { fn: "tiny" }));
  const [dispatch, ...rest] = schedule(queue, [worker("a")], times());
  t.equal(dispatch?.jobs.length, MAX_AHEAD, "MAX_AHEAD jobs");
  t.equal(rest.length, 0, "one dispatch");
  t.equal(queue.length, 10, "the rest wait");
});

t.test("only a small dispatch asks for direct copies of its results", async (t) => {
  const small = schedule(queueOf(jobs(DIRECT_MAX_JOBS, { fn: "tiny" })), [worker("a")], times());
  t.equal(small[0]?.copies, true, `${DIRECT_MAX_JOBS} jobs: copies`);
  const large = schedule(queueOf(jobs(DIRECT_MAX_JOBS + 1, { fn: "tiny" })), [worker("a")], times());
  t.equal(large[0]?.copies, false, `${DIRECT_MAX_JOBS + 1} jobs: none`);
  const long = schedule(queueOf(jobs(1, { fn: "long" })), [worker("a")], times());
  t.equal(long[0]?.copies, false, "a job timed as long: none (the hop it spares is nothing beside it)");
  const untimed = schedule(queueOf(jobs(1, { fn: "new" })), [worker("a")], times());
  t.equal(untimed[0]?.copies, true, "a job not timed yet: copies");
});

t.test("a function whose jobs queued jobs counts as untimed from then on: alone, no successor planned", async (t) => {
  const timed = times();
  timed.submitted("short");
  t.equal(expectedMs(timed, job("p", { fn: "short" })), TARGET_AHEAD_MS, "expected: a whole worker's credit");
  const queue = queueOf(jobs(3, { fn: "short" }));
  t.same(
    plan(schedule(queue, [worker("a"), worker("b")], timed)),
    [
      ["a", ["j1"]],
      ["b", ["j2"]],
    ],
    "one to each idle worker; none held behind another",
  );
  t.same(left(queue), ["j3"], "the third waits in the queue");
  t.equal(successorDelayMs(worker("w", { held: 1 }), job("p", { fn: "short" }), timed), undefined, "no successor planned behind it");
  t.equal(expectedMs(timed, job("t", { fn: "tiny" })), 0.001, "other functions keep their times");
});

t.test("higher priorities go first, FIFO among equals; a job refused for credit keeps its place", async (t) => {
  const queue = queueOf([
    job("a0"),
    job("b5", { priority: 5 }),
    job("c0"),
    job("d5", { priority: 5 }),
    job("e9", { priority: 9 }),
    job("f-1", { priority: -1 }),
  ]);
  const dispatches = schedule(queue, [worker("w")], times());
  t.same(plan(dispatches), [["w", ["e9", "b5", "d5", "a0"]]], "9, then the fives in order, then the first 0");
  t.same(left(queue), ["c0", "f-1"], "the 0 refused for credit is still first, before the -1");
});

t.test("a long job's successor is planned NEXT_LEAD_MS before the job should end", async (t) => {
  const running = job("long1", { fn: "long" });
  t.equal(successorDelayMs(worker("w", { held: 1 }), running, times()), 50 - NEXT_LEAD_MS, "50 ms expected: sent after 48");
  t.equal(successorDelayMs(worker("w", { held: 2 }), running, times()), undefined, "not when the worker holds a successor already");
  t.equal(
    successorDelayMs(worker("w", { held: 1 }), job("s", { fn: "brief" }), times()),
    undefined,
    "not for a job timed under LONG_JOB_MS (its round trip is hidden by the batch it travels in)",
  );
  t.equal(successorDelayMs(worker("w", { held: 1 }), job("u", { fn: "untimed" }), times()), undefined, "not for a job not timed yet");
});

t.test("the successor is taken only while the queue holds more jobs than there are open workers", async (t) => {
  const workers = [worker("w", { held: 1 }), worker("x", { held: 1 }), worker("gone", { retiring: true })];
  const deep = queueOf(jobs(3, { fn: "long" }));
  t.equal(takeSuccessor(workers[0]!, deep, workers)?.request.id, "j1", "3 waiting, 2 open workers: the next job");
  t.equal(deep.length, 2, "taken from the queue");
  t.equal(takeSuccessor(workers[0]!, deep, workers), undefined, "2 waiting, 2 open workers: each keeps one for another worker");
  t.equal(
    takeSuccessor(worker("w", { held: 2 }), queueOf(jobs(5)), workers),
    undefined,
    "not when the worker holds more than the running job",
  );
  t.equal(takeSuccessor(worker("w", { held: 1, retiring: true }), queueOf(jobs(5)), workers), undefined, "not for a retiring worker");
});

t.test("retry backoff: 100 ms doubling to at most 10 s, while retries are left", async (t) => {
  const delays: number[] = [];
  const failing = job("r", { retries: 9 });
  for (let delay = retryAfterMs(failing); delay !== undefined; delay = retryAfterMs(failing)) {
    delays.push(delay);
    failing.failures++;
  }
  t.same(delays, [100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000], "nine retries, backing off");
  t.equal(failing.failures, 9, "the job's failures are the broker's to count");
  t.equal(retryAfterMs(job("none")), undefined, "no retries asked: none");
  t.equal(retryAfterMs(job("spent", { retries: 2, failures: 2 })), undefined, "retries spent: none");
  t.equal(retryDelayMs(1), 100, "after the first failure: 100 ms");
});

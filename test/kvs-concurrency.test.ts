/**
 * KVS atomicity under real concurrency, through the built CLI: 4 workers × 2,500 incrValue from
 * inside jobs (100 in flight from each) end at exactly 10,000, each value handed out once; the
 * same through transact; the original's read-modify-write loses updates, transact does not.
 */
import t from "tap";
import { runFixture, scratchDir } from "./lib/kvs-helpers.js";

const WORKERS = 4;
const PER_WORKER = 2_500;
const TOTAL = WORKERS * PER_WORKER;

t.test(`${WORKERS} workers × ${PER_WORKER} increments (kvs2-concurrency.ts)`, async (t) => {
  const { summary: s } = await runFixture(t, "kvs2-concurrency.ts", {
    cwd: scratchDir(t),
    workers: WORKERS,
    args: [String(PER_WORKER)],
    // under load, a request waits behind up to 400 others: give it room
    env: { STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT: "5000" },
    timeoutMs: 170_000, // the fixture waits up to 150 s per round (see there)
  });
  t.equal(s.workers, WORKERS, `${WORKERS} workers ran`);
  t.same(s.failed, [], "every job was processed");

  t.test("incrValue", async (t) => {
    t.equal(s.incr?.final, TOTAL, `the counter ends at exactly ${TOTAL}`);
    t.equal(s.incr?.pids, WORKERS, "the increments came from every worker at once");
    t.equal(s.incr?.returned, TOTAL, "every increment answered");
    t.equal(s.incr?.distinct, TOTAL, "with a value no other increment got");
    t.equal(s.incr?.inRange, TOTAL, `the values are exactly 1..${TOTAL}`);
    t.comment(`incrValue: ${TOTAL} in ${s.incr?.ms} ms`);
  });

  t.test("transact", async (t) => {
    t.equal(s.transact?.final, TOTAL, `the counter ends at exactly ${TOTAL}`);
    t.equal(s.transact?.pids, WORKERS, "the transactions came from every worker at once");
    t.equal(s.transact?.distinct, TOTAL, "each saw a value no other saw");
    t.equal(s.transact?.inRange, TOTAL, `the values are exactly 1..${TOTAL}`);
    t.comment(`transact: ${TOTAL} in ${s.transact?.ms} ms`);
  });

  t.test("read-modify-write: getValue then setValue loses updates; transact does not", async (t) => {
    const { expected, plain, transact } = s.readModifyWrite ?? {};
    t.ok(typeof plain === "number" && plain < expected, `getValue + setValue kept ${plain} of ${expected} increments`);
    t.comment(`read-modify-write lost ${expected - plain} of ${expected} updates`);
    t.equal(transact, expected, `the same inside transact kept all ${expected}`);
  });
});

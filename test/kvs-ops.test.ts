/**
 * KeyValueStore's atomic operations through the built CLI: deleteValue, exists, keys (globs),
 * incrValue (numbers, BigInt, TypeErrors), compareAndSet (deep equality, absent), setValue with
 * ttl (expiry honoured by every read) and onlyIfAbsent, hashes, pushValue/shiftValue; from main
 * and from a job.
 */
import t from "tap";
import { noCrashes, rejectsWith, resolvesUndefined, resolvesWith, runFixture, scratchDir } from "./lib/kvs-helpers.js";

t.test("atomic operations (kvs2-ops.ts)", async (t) => {
  const { summary } = await runFixture(t, "kvs2-ops.ts", { cwd: scratchDir(t) });
  const r: Record<string, Record<string, any>> = summary.results ?? {};
  noCrashes(t, r);

  t.test("deleteValue and exists", async (t) => {
    const s = r.deleteExists ?? {};
    resolvesWith(t, s.existsBefore, true, "exists of a set key");
    resolvesWith(t, s.delete, true, "deleteValue of a set key");
    resolvesWith(t, s.existsAfter, false, "exists after delete");
    resolvesWith(t, s.deleteMissing, false, "deleteValue of a missing key");
    resolvesUndefined(t, s.get, "getValue after delete");
    resolvesWith(t, s.undefinedExists, true, "a key holding undefined exists");
  });

  t.test("keys matches Redis-style globs, sorted", async (t) => {
    const s = r.keys ?? {};
    resolvesWith(t, s.star, ["user:1", "user:10", "user:2"], "keys('user:*')");
    resolvesWith(t, s.question, ["user:1", "user:2"], "keys('user:?')");
    resolvesWith(t, s.klass, ["item:1", "user:1"], "keys('[iu]*:1')");
    resolvesWith(t, s.negated, ["item:1"], "keys('[!u]*:1')");
    resolvesWith(t, s.escaped, ["a*b"], "keys('a\\\\*b') matches the star literally");
    rejectsWith(t, s.badPattern, "TypeError", "keys(5)");
  });

  t.test("incrValue: numbers, BigInt, and TypeError for anything else", async (t) => {
    const s = r.incr ?? {};
    resolvesWith(t, s.missing, 1, "incrValue of a missing key");
    resolvesWith(t, s.by, 42, "incrValue(key, 41)");
    resolvesWith(t, s.negative, 39.5, "incrValue(key, -2.5)");
    resolvesWith(t, s.big, { bigint: String(2n ** 64n) }, "incrValue(key, 2n ** 64n) of a missing key");
    resolvesWith(t, s.bigAgain, { bigint: String(2n ** 64n + 1n) }, "incrValue(key, 1n)");
    rejectsWith(t, s.mixed, "TypeError", "a number increment to a BigInt", { message: /holds a bigint, the increment is a number/ });
    rejectsWith(t, s.notNumber, "TypeError", "incrValue of a string", { message: /not a number/ });
    rejectsWith(t, s.badBy, "TypeError", "incrValue by a string");
    rejectsWith(t, s.infinite, "TypeError", "incrValue by Infinity");
    resolvesWith(t, s.after, 39.5, "the failed increments changed nothing");
  });

  t.test("compareAndSet: deep equality; undefined means absent", async (t) => {
    const s = r.compareAndSet ?? {};
    resolvesWith(t, s.deepMatch, true, "an equal object with a Map");
    resolvesWith(t, s.mismatch, false, "a different expected value");
    resolvesWith(t, s.value, "second", "the value set by the matching call only");
    resolvesWith(t, s.absentWins, true, "expected undefined on a missing key");
    resolvesWith(t, s.absentLoses, false, "expected undefined once it exists");
    resolvesWith(t, s.fresh, 1, "the first writer's value");
  });

  t.test("setValue onlyIfAbsent keeps the first value; bad options are refused", async (t) => {
    const s = r.onlyIfAbsent ?? {};
    resolvesWith(t, s.first, "a", "first set");
    resolvesWith(t, s.second, "a", "second set resolves with the value already there");
    resolvesWith(t, s.value, "a", "the stored value");
    rejectsWith(t, s.badTtl, "RangeError", "ttl -1", { message: /ttl must be a number of seconds > 0/ });
    rejectsWith(t, s.badFlag, "TypeError", "onlyIfAbsent 'yes'");
  });

  t.test("ttl: every read honours the expiry; incrValue keeps it, a plain set clears it", async (t) => {
    const s = r.ttl ?? {};
    t.same(s.before, { get: 1, exists: true, keys: ["t", "tCleared", "tHash", "tKept"] }, "before expiry the key is there");
    t.ok(s.goneMs >= summary.ttlSeconds * 1000 - 20, `it expired after its TTL, not before (${s.goneMs} ms)`);
    t.ok(s.goneMs < summary.ttlSeconds * 1000 + 1000, `and promptly (${s.goneMs} ms)`);
    t.ok(
      s.othersGoneMs?.every((ms: number) => ms >= summary.ttlSeconds * 1000 - 20),
      `the other keys with a TTL expired too (${s.othersGoneMs} ms)`,
    );
    resolvesUndefined(t, s.get, "getValue after expiry");
    resolvesWith(t, s.keys, ["tCleared"], "keys after expiry: only the key whose TTL a plain set cleared");
    resolvesUndefined(t, s.kept, "a key incremented after its set expired too");
    resolvesWith(t, s.cleared, 2, "the key whose TTL was cleared");
    resolvesUndefined(t, s.hashGet, "hashGet of an expired hash");
    resolvesWith(t, s.incrAfter, 1, "incrValue of an expired key starts from 0");
    resolvesWith(t, s.onlyIfAbsentAfter, "new", "onlyIfAbsent sets over an expired key");
    t.equal(s.pingKeys, s.allKeys, "pingServer counts live keys only");
  });

  t.test("hashes", async (t) => {
    const s = r.hashes ?? {};
    resolvesWith(t, s.set, { x: 1 }, "hashSet");
    resolvesWith(t, s.get, { x: 1 }, "hashGet");
    resolvesUndefined(t, s.getMissingField, "hashGet of a missing field");
    resolvesUndefined(t, s.getMissingKey, "hashGet of a missing key");
    resolvesWith(t, s.incr, 1, "hashIncr of a missing field");
    resolvesWith(t, s.incrBy, 10, "hashIncr by 9");
    resolvesWith(
      t,
      s.all,
      {
        map: [
          ["a", { x: 1 }],
          ["n", 10],
        ],
      },
      "hashGetAll",
    );
    resolvesWith(t, s.allIsMap, true, "hashGetAll resolves with a Map");
    resolvesWith(t, s.allMissing, { map: [] }, "hashGetAll of a missing key is an empty Map");
    resolvesWith(t, s.delete, true, "hashDelete");
    resolvesWith(t, s.deleteAgain, false, "hashDelete of a missing field");
    resolvesWith(t, s.getValueIsMap, true, "getValue of a hash is a Map");
    rejectsWith(t, s.notHash, "TypeError", "hashSet on a list", { message: /does not hold a hash/ });
    rejectsWith(t, s.badField, "TypeError", "a non-string field", { message: /fields must be strings/ });
    rejectsWith(t, s.incrNotNumber, "TypeError", "hashIncr of a string field", { message: /not a number/ });
  });

  t.test("pushValue / shiftValue: a FIFO queue beside appendValue / popValue", async (t) => {
    const s = r.lists ?? {};
    resolvesWith(t, s.push, 1, "pushValue resolves with the length");
    resolvesWith(t, s.pushMany, 3, "pushValue of two more");
    resolvesWith(t, s.shift, 1, "shiftValue takes the first");
    resolvesWith(t, s.popEnd, 3, "popValue(key, -1) takes the last");
    resolvesWith(t, s.list, [2], "what is left");
    resolvesWith(t, s.append, [2, 4], "appendValue still resolves with the list");
    resolvesUndefined(t, s.shiftMissing, "shiftValue of a missing key");
    resolvesUndefined(t, s.shiftEmpty, "shiftValue of an empty list");
    rejectsWith(t, s.pushNonList, "TypeError", "pushValue to a string", { message: /not a list/ });
    rejectsWith(t, s.shiftNonList, "TypeError", "shiftValue of a string", { message: /not a list/ });
  });

  t.test("the same operations from a job", async (t) => {
    t.equal(summary.job?.status, "processed", "the job was processed", { job: summary.job });
    const s = summary.job?.retval ?? {};
    resolvesWith(t, s.incr, 5, "incrValue");
    resolvesWith(t, s.incrAgain, 6, "incrValue again");
    resolvesWith(t, s.cas, true, "compareAndSet");
    resolvesWith(t, s.push, 2, "pushValue");
    resolvesWith(t, s.shift, "a", "shiftValue");
    resolvesWith(t, s.hash, { bigint: "2" }, "hashIncr by 2n");
    resolvesWith(t, s.keys, ["jobCounter", "jobHash", "jobQueue"], "keys('job*')");
    t.same(summary.afterJob, { counter: 100, queue: ["b"], hash: { map: [["f", { bigint: "2" }]] } }, "main sees the job's writes");
  });
});

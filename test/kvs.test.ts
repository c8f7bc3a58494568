/**
 * KeyValueStore through the built CLI: the original strmbrkr's KVS suite (set/get, append, pop,
 * flush), plus dump, pingServer, key checks, structured-clone values, the global KeyValueStore in
 * jobs, and stopServerProcess. Each fixture runs once; subtests check its JSON summary.
 */
import t from "tap";
import { readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname } from "node:path";
import { fixture } from "./lib/cli.js";
import { noCrashes, rejectsWith, resolvesUndefined, resolvesWith, runFixture, scratchDir, type Outcome } from "./lib/kvs-helpers.js";

type Results = Record<string, Record<string, any>>;

t.test("KeyValueStore from main (kvs-basic.ts)", async (t) => {
  const cwd = scratchDir(t);
  const { summary } = await runFixture<{ hostPid: number; cwd: string; results: Results }>(t, "kvs-basic.ts", { cwd });
  const r = summary.results ?? {};
  noCrashes(t, r);

  t.test("setValue resolves with the value; getValue reads it back; missing is undefined", async (t) => {
    const s = r.setGet ?? {};
    resolvesWith(t, s.set, 1, "setValue('a', 1)");
    resolvesWith(t, s.setObject, { x: [1, 2], y: "s" }, "setValue('obj', {...})");
    resolvesWith(t, s.getA, 1, "getValue('a')");
    resolvesWith(t, s.getObject, { x: [1, 2], y: "s" }, "getValue('obj')");
    resolvesUndefined(t, s.getMissing, "getValue of a key never set");
    resolvesWith(t, s.overwrite, 2, "setValue('a', 2) over 1");
    resolvesWith(t, s.getAfterOverwrite, 2, "getValue('a') after overwrite");
  });

  t.test("appendValue makes a list and resolves with it", async (t) => {
    const s = r.append ?? {};
    resolvesWith(t, s.first, ["x"], "first append to a missing key");
    resolvesWith(t, s.second, ["x", "y"], "second append");
    resolvesWith(t, s.get, ["x", "y"], "getValue of the list");
  });

  t.test("appendValue to a non-list rejects with TypeError and changes nothing", async (t) => {
    const s = r.badAppend ?? {};
    rejectsWith(t, s.toNumber, "TypeError", "appendValue to a number", { message: /not a list/ });
    rejectsWith(t, s.toObject, "TypeError", "appendValue to an object", { message: /not a list/ });
    resolvesWith(t, s.scalarAfter, 5, "the number after the failed append");
    resolvesWith(t, s.objectAfter, { a: 1 }, "the object after the failed append");
  });

  t.test("popValue: two pops, then undefined; negative and out-of-range indexes", async (t) => {
    const s = r.pop ?? {};
    resolvesWith(t, s.first, 1, "first popValue(key, 0)");
    resolvesWith(t, s.second, 2, "second popValue(key, 0)");
    resolvesUndefined(t, s.third, "popValue of an emptied list");
    resolvesWith(t, s.listAfter, [], "the list after two pops");
    resolvesWith(t, s.negative, 3, "popValue(key, -1) takes the last");
    resolvesUndefined(t, s.outOfRange, "popValue past the end");
    resolvesWith(t, s.negAfter, [1, 2], "the list after a pop past the end");
  });

  t.test("popValue of a missing key resolves undefined", async (t) => {
    resolvesUndefined(t, r.popMissing?.pop, "popValue('no-such-list', 0)");
  });

  t.test("popValue of a non-list rejects with TypeError and changes nothing", async (t) => {
    rejectsWith(t, r.popNonList?.pop, "TypeError", "popValue of a string", { message: /not a list/ });
    resolvesWith(t, r.popNonList?.after, "abc", "the string after the failed pop");
  });

  t.test("flush resolves {} and empties the store", async (t) => {
    const s = r.flush ?? {};
    resolvesWith(t, s.flush, {}, "flush()");
    resolvesUndefined(t, s.getAfter, "a value after flush");
    resolvesUndefined(t, s.listAfter, "a list after flush");
    t.equal(s.keysAfter, 0, "pingServer counts no keys after flush");
  });

  t.test("dump writes kvs_dump_<ns>.json in the host's cwd, private, holding the data", async (t) => {
    const dump = r.dump?.dump as Outcome | undefined;
    t.equal(dump?.ok, true, "dump() resolves", { dump });
    const path = String(dump?.value);
    t.match(basename(path), /^kvs_dump_\d+\.json$/, "the file is named kvs_dump_<ns>.json");
    t.equal(dirname(path), realpathSync(cwd), "the file is in the run's working directory");
    t.equal(summary.cwd, realpathSync(cwd), "the host ran in that directory");
    t.equal(dump?.ok && statSync(path).mode & 0o777, 0o600, "mode 0600: it holds every value");
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      t.fail(`the dump file can be read as JSON: ${(error as Error).message}`);
    }
    t.same(data, { d1: { n: 1, s: "two", list: [1, 2, 3] }, d2: "text", d3: [true] }, "the file holds exactly the store's data");
  });

  t.test("pingServer names the server process", async (t) => {
    const ping = r.ping?.ping ?? {};
    t.ok(Number.isInteger(ping.pid) && ping.pid > 0, "pid is a process id", { ping });
    t.not(ping.pid, summary.hostPid, "the server is not the host process");
    t.equal(r.ping?.serverAlive, true, "that process was alive");
    t.equal(ping.keys, 3, "keys counts the three keys set");
    t.ok(typeof ping.uptimeSeconds === "number" && ping.uptimeSeconds >= 0, "uptimeSeconds is a number", { ping });
  });

  t.test("a key that is not a string rejects with TypeError and stores nothing", async (t) => {
    const s = r.nonStringKey ?? {};
    rejectsWith(t, s.getNumber, "TypeError", "getValue(42)", { message: /keys must be strings, got number/ });
    rejectsWith(t, s.getUndefined, "TypeError", "getValue(undefined)", { message: /keys must be strings/ });
    rejectsWith(t, s.setNull, "TypeError", "setValue(null, 1)", { message: /keys must be strings, got null/ });
    rejectsWith(t, s.appendObject, "TypeError", "appendValue({}, 1)", { message: /keys must be strings/ });
    rejectsWith(t, s.popNumber, "TypeError", "popValue(7, 0)", { message: /keys must be strings/ });
    t.equal(s.keysAfter, 3, "the key count is unchanged");
  });

  t.test("Map, BigInt, Date and Set values round trip", async (t) => {
    const s = r.roundTrip ?? {};
    t.equal(s.mapIsMap, true, "a Map comes back a Map");
    t.same(
      s.mapEntries,
      {
        map: [
          ["a", 1],
          [2, { b: true }],
        ],
      },
      "with its entries and non-string keys",
    );
    t.equal(s.mapNestedB, true, "nested values inside the Map survive");
    t.equal(s.bigType, "bigint", "a BigInt comes back a bigint");
    t.equal(s.bigEqual, true, "2n ** 70n + 1n is unchanged");
    t.equal(s.dateIsDate, true, "a Date comes back a Date");
    t.equal(s.dateTime, s.expectedDateTime, "with its time");
    t.equal(s.setIsSet, true, "a Set comes back a Set");
    t.same(s.setValues, { set: [1, "x"] }, "with its values");
    t.equal(s.setReplyMapIsMap, true, "setValue resolves with a real Map");
    t.equal(s.setReplyBigEqual, true, "setValue resolves with the BigInt");
    t.equal(s.bigAloneType, "bigint", "a bare BigInt value");
    t.equal(s.bigAloneEqual, true, "equals 123n");
    t.equal(s.appendedDateIsDate, true, "a Date appended to a list comes back a Date");
  });

  t.test("stopServerProcess: the next call runs against a fresh, empty server", async (t) => {
    const s = r.stopServer ?? {};
    t.equal(s.stop?.ok, true, "stopServerProcess() resolves", { stop: s.stop });
    t.equal(s.oldAlive, false, "the old server process has exited when it resolves");
    resolvesUndefined(t, s.getBefore, "a value set before the stop");
    t.ok(Number.isInteger(s.second?.pid), "the next pingServer answers", { second: s.second });
    t.not(s.second?.pid, s.first?.pid, "from another process");
    t.equal(s.second?.keys, 0, "which holds no keys");
    t.equal(s.newAlive, true, "the new server is alive");
    resolvesWith(t, s.setAfter, "fresh", "setValue on the new server");
    resolvesWith(t, s.getAfter, "fresh", "getValue on the new server");
    t.equal(s.job?.status, "processed", "a job queued after the restart is processed", { job: s.job });
    const job = s.job?.retval ?? {};
    t.equal(job.ping?.value?.pid, s.second?.pid, "the job's pingServer reaches the new server");
    resolvesWith(t, job.get, "fresh", "the job reads main's value from the new server");
    rejectsWith(t, job.stop, "Error", "stopServerProcess() in a job", { message: /the store belongs to the run.s host; call it in main/ });
    resolvesWith(t, s.jobWrite, "job", "main reads the job's write");
  });
});

t.test("workers that use the store at their top level, before main has (kvs-top-level.ts)", async (t) => {
  const cwd = scratchDir(t);
  const { summary: s } = await runFixture(t, "kvs-top-level.ts", { cwd, workers: 2 });
  t.same(s.status, ["processed"], "every job was processed");
  t.equal(s.loaded?.length, 2, "each of the 2 workers wrote once at its top level", { loaded: s.loaded });
  t.notOk(s.loaded?.includes(s.hostPid), "the host did not write (its top level skips the store)");
  t.ok(
    s.ranIn?.every((pid: number) => s.loaded?.includes(pid)),
    "every worker that ran a job had written first",
    { ranIn: s.ranIn, loaded: s.loaded },
  );
});

t.test("the global KeyValueStore inside jobs, no import (kvs-global.ts)", async (t) => {
  const source = readFileSync(fixture("kvs-global.ts"), "utf8");
  const imports = source.split("\n").filter((line) => /^\s*import\b/.test(line));
  t.notOk(
    imports.some((line) => line.includes("KeyValueStore")),
    "the fixture does not import KeyValueStore",
    { imports },
  );
  t.notMatch(readFileSync(fixture("kvs-lib.ts"), "utf8"), /^\s*import\b.*"strmbrkr"/m, "nor does the helper it bundles import strmbrkr");

  const cwd = scratchDir(t);
  const { summary: s } = await runFixture(t, "kvs-global.ts", { cwd });
  t.equal(s.mainGlobal, "function", "main sees the global");
  t.same(
    s.jobs,
    { ops: { status: "processed" }, typed: { status: "processed" }, flush: { status: "processed" } },
    "every job was processed",
  );
  const ops = s.ops ?? {};
  t.equal(ops.globalType, "function", "the job sees the global");
  t.not(ops.pid, s.hostPid, "the job ran in a worker process");
  resolvesWith(t, ops.fromMain, "hello", "getValue of main's value");
  resolvesWith(t, ops.set, { tag: "one" }, "setValue");
  resolvesWith(t, ops.get, { tag: "one" }, "getValue");
  resolvesWith(t, ops.append1, [1], "first appendValue");
  resolvesWith(t, ops.append2, [1, 2], "second appendValue");
  rejectsWith(t, ops.badAppend, "TypeError", "appendValue to an object", { message: /not a list/ });
  resolvesWith(t, ops.pop1, 1, "first popValue");
  resolvesWith(t, ops.pop2, 2, "second popValue");
  resolvesUndefined(t, ops.pop3, "third popValue");
  resolvesUndefined(t, ops.popMissing, "popValue of a missing key");
  rejectsWith(t, ops.popNonList, "TypeError", "popValue of an object", { message: /not a list/ });
  rejectsWith(t, ops.nonStringKey, "TypeError", "getValue(5)", { message: /keys must be strings/ });
  t.equal(ops.ping?.ok, true, "pingServer from a job");
  t.same(s.seenByMain, { tag: "one" }, "main reads what the job set");
  t.same(s.leftByJob, ["one"], "main reads the job's list");
  t.same(
    s.typed,
    { mapIsMap: true, mapA: 1, bigType: "bigint", big: String(2n ** 64n), dateIsDate: true, dateTime: 1_000_000 },
    "a job reads main's Map, BigInt and Date as such",
  );
  t.same(
    s.typedFromJob,
    { mapIsMap: true, map: { map: [["j", 2]] }, bigEqual: true, dateIsDate: true, dateTime: 86_400_000 },
    "main reads a job's Map, BigInt and Date as such",
  );
  resolvesWith(t, s.flush, {}, "flush from a job");
  resolvesUndefined(t, s.afterFlush?.fromMain, "main's value after the job's flush");
  t.equal(s.afterFlush?.keys, 0, "no key left after the job's flush");
});

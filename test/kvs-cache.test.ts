/**
 * KeyValueStore's LRU caches through the built CLI: initCache, ValueAlreadySet and clearExisting,
 * cachePut/cacheGrab, UninitializedCache, CacheMiss, eviction order. Errors are checked with
 * instanceof (and their name and code) where they are caught, in main and in a worker.
 */
import t from "tap";
import { noCrashes, rejectsWith, resolvesUndefined, resolvesWith, runFixture, scratchDir, type Outcome } from "./lib/kvs-helpers.js";

const ALREADY_SET = "ERR_STRMBRKR_VALUE_ALREADY_SET";
const UNINITIALIZED = "ERR_STRMBRKR_UNINITIALIZED_CACHE";
const MISS = "ERR_STRMBRKR_CACHE_MISS";

t.test("KeyValueStore caches (kvs-cache.ts)", async (t) => {
  const { summary } = await runFixture(t, "kvs-cache.ts", { cwd: scratchDir(t) });
  const r: Record<string, Record<string, any>> = summary.results ?? {};
  noCrashes(t, r);

  t.test("initCache resolves with its settings (maxSize defaults to 128)", async (t) => {
    resolvesWith(t, r.init?.init, { cacheName: "c1", clearExisting: false, maxSize: 128 }, "initCache('c1')");
    resolvesWith(t, r.init?.initSized, { cacheName: "c2", clearExisting: false, maxSize: 4 }, "initCache('c2', { maxSize: 4 })");
  });

  t.test("a second initCache rejects with ValueAlreadySet; clearExisting replaces the value", async (t) => {
    const s = r.duplicateInit ?? {};
    rejectsWith(t, s.duplicate, "ValueAlreadySet", "initCache of an existing cache", {
      code: ALREADY_SET,
      message: /Value already set for key/,
      strmbrkrError: true,
    });
    rejectsWith(t, s.overPlain, "ValueAlreadySet", "initCache over a plain value", {
      code: ALREADY_SET,
      message: /Value already set for key/,
      strmbrkrError: true,
    });
    resolvesWith(t, s.oldStillThere, "record", "the existing cache is untouched by the refused init");
    resolvesWith(t, s.clear, { cacheName: "dup", clearExisting: true, maxSize: 8 }, "initCache with clearExisting");
    rejectsWith(t, s.oldAfterClear, "CacheMiss", "a record of the replaced cache", { code: MISS });
    resolvesWith(t, s.putAfterClear, { cacheName: "dup", recordName: "new", recordValue: 1 }, "cachePut into the new cache");
    resolvesWith(t, s.grabAfterClear, 1, "cacheGrab from the new cache");
    resolvesWith(t, s.clearPlain, { cacheName: "plainForInit", clearExisting: true, maxSize: 128 }, "clearExisting over a plain value");
    resolvesWith(t, s.putOverPlain, { cacheName: "plainForInit", recordName: "k", recordValue: "v" }, "which is then a cache");
  });

  t.test("cachePut resolves with what it stored; cacheGrab reads it", async (t) => {
    const s = r.putGrab ?? {};
    resolvesWith(t, s.put, { cacheName: "pg", recordName: "k", recordValue: { a: [1, 2], b: "x" } }, "cachePut");
    resolvesWith(t, s.grab, { a: [1, 2], b: "x" }, "cacheGrab");
    resolvesWith(t, s.replace, { cacheName: "pg", recordName: "k", recordValue: 2 }, "cachePut over a record");
    resolvesWith(t, s.grabReplaced, 2, "cacheGrab of the replaced record");
    resolvesWith(t, s.bigint, "bigint", "a BigInt record comes back a bigint");
  });

  t.test("cachePut/cacheGrab on a name never initialised reject with UninitializedCache", async (t) => {
    const s = r.uninitialized ?? {};
    rejectsWith(t, s.put, "UninitializedCache", "cachePut", {
      code: UNINITIALIZED,
      message: /has not been initialized/,
      strmbrkrError: true,
    });
    rejectsWith(t, s.grab, "UninitializedCache", "cacheGrab", {
      code: UNINITIALIZED,
      message: /has not been initialized/,
      strmbrkrError: true,
    });
    resolvesUndefined(t, s.nameStillFree, "the failed put made nothing under the name");
  });

  t.test("cachePut/cacheGrab on a plain value (not a cache) reject with UninitializedCache", async (t) => {
    const s = r.plainValue ?? {};
    rejectsWith(t, s.put, "UninitializedCache", "cachePut on a number", { code: UNINITIALIZED, strmbrkrError: true });
    rejectsWith(t, s.grab, "UninitializedCache", "cacheGrab on a number", { code: UNINITIALIZED, strmbrkrError: true });
    rejectsWith(t, s.putList, "UninitializedCache", "cachePut on a list", { code: UNINITIALIZED, strmbrkrError: true });
    resolvesWith(t, s.plainAfter, 5, "the plain value is untouched");
  });

  t.test("cacheGrab of an absent record rejects with CacheMiss", async (t) => {
    rejectsWith(t, r.miss?.miss, "CacheMiss", "cacheGrab('m', 'absent')", {
      code: MISS,
      message: /does not have a populated value for key 'absent'/,
      strmbrkrError: true,
    });
    resolvesWith(t, r.miss?.present, 1, "a present record of the same cache");
  });

  t.test("LRU: maxSize 16, 32 puts: the first 16 miss, the last 16 are there", async (t) => {
    const grabs: Outcome[] = r.lru?.grabs ?? [];
    t.equal(grabs.length, 32, "32 grabs reported");
    const evicted = grabs.slice(0, 16);
    const kept = grabs.slice(16);
    t.ok(
      evicted.every((g) => !g.ok && g.instanceOf && g.name === "CacheMiss" && g.code === MISS),
      "k0..k15 reject with CacheMiss",
      { evicted },
    );
    t.same(
      kept.map((g) => (g.ok ? g.value : g.name)),
      Array.from({ length: 16 }, (_, i) => (16 + i) * 10),
      "k16..k31 grab back their values",
      { kept },
    );
  });

  t.test("LRU: a grab makes a record the most recently used", async (t) => {
    const s = r.lruRecency ?? {};
    resolvesWith(t, s.a, 1, "'a', grabbed before the third put, is kept");
    rejectsWith(t, s.b, "CacheMiss", "'b', the least recently used, was evicted", { code: MISS });
    resolvesWith(t, s.c, 3, "'c', the newest, is kept");
  });

  t.test("caches from a job: same records, same error classes in the worker", async (t) => {
    const job = summary.job ?? {};
    t.equal(job.status, "processed", "the job was processed", { job });
    const s = job.retval ?? {};
    resolvesWith(t, s.grab, { by: "main" }, "the job grabs main's record");
    t.equal(s.put?.ok, true, "the job puts a record");
    rejectsWith(t, s.miss, "CacheMiss", "a miss in the job", { code: MISS, strmbrkrError: true });
    rejectsWith(t, s.uninitialized, "UninitializedCache", "an uninitialised cache in the job", {
      code: UNINITIALIZED,
      strmbrkrError: true,
    });
    rejectsWith(t, s.alreadySet, "ValueAlreadySet", "a duplicate initCache in the job", {
      code: ALREADY_SET,
      message: /Value already set for key/,
      strmbrkrError: true,
    });
    resolvesWith(t, summary.seenByMain as Outcome, { by: "job" }, "main grabs the job's record");
  });
});

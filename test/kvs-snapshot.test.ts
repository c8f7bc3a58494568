/**
 * KVS persistence through the built CLI: `--kvs-snapshot FILE` (or STRMBRKR_KVS_SNAPSHOT) loads the
 * store at start and saves it at exit, every STRMBRKR_KVS_SNAPSHOT_INTERVAL seconds, and when the
 * host dies; values keep their types, caches their order, keys their TTLs. A corrupt or unreadable
 * snapshot stops the run with one line (exit 2) before any process starts, and is left as it was.
 */
import t from "tap";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fixture, lastJson, processesGone, strmbrkr, strmbrkrWatched } from "./lib/cli.js";
import { rejectsWith, resolvesWith, runFixture, scratchDir, waitForLine } from "./lib/kvs-helpers.js";

const run = (file: string, ...args: string[]) =>
  strmbrkr(["run", fixture("kvs2-snapshot.ts"), "--workers", "1", "--kvs-snapshot", file, "--", ...args], { timeoutMs: 30_000 });

t.test("saved at exit, loaded by the next run: types, caches, TTLs", async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, "store.snapshot");
  const { summary: w } = await runFixture(t, "kvs2-snapshot.ts", {
    cwd: dir,
    args: ["write"],
    env: { STRMBRKR_KVS_SNAPSHOT: "store.snapshot" },
  });
  t.not(w.restarted?.pid, w.beforePid, "stopServerProcess started a new server");
  t.same(w.restarted?.typed?.big, { bigint: String(2n ** 70n) }, "which loaded the snapshot the old one saved as it stopped");
  t.ok(w.keys?.includes("short"), "the short-lived key was there at exit");

  const first = readFileSync(file);
  const read = await run(file, "read");
  t.equal(read.code, 0, "the next run (--kvs-snapshot, relative path resolved in the first) exits 0", { stderr: read.stderr });
  t.same(await processesGone(read.instanceId), [], "no process of the run is left");
  const r = lastJson(read.stdout);
  t.same(
    r.kinds,
    { map: true, big: "bigint", date: true, set: true, bytes: true },
    "Map, BigInt, Date, Set and Uint8Array come back as such",
  );
  t.same(
    r.typed,
    {
      map: { map: [["a", 1]] },
      big: { bigint: String(2n ** 70n) },
      date: { date: new Date(1_000).toISOString() },
      set: { set: [1, "x"] },
      bytes: { 0: 1, 1: 2, 2: 3 },
    },
    "with their contents",
  );
  t.same(r.hash, { map: [["f", { bigint: "1" }]] }, "a hash");
  t.same(r.queue, ["first", "second"], "a list");
  resolvesWith(t, r.cacheR1, 1, "a cache record");
  rejectsWith(t, r.afterPut, "CacheMiss", "the cache kept its size and LRU order: a third record evicted r2");
  t.equal(r.long, "stays", "a key with a long TTL");
  resolvesWith(t, r.short, false, "a key whose TTL passed between the runs is gone");
  if (r.midAtStart === undefined) {
    // a loaded machine: the second run started after the key's time was up, and it was gone
    t.ok(r.midReadAt >= r.midTtlSeconds * 1000 - 50, `a key read after its TTL had passed was gone (${r.midReadAt} ms after it was set)`);
  } else {
    t.equal(r.midAtStart, "expires in the next run", "a key whose TTL had not passed is there");
    t.ok(
      r.midGoneAfterMs >= r.midTtlSeconds * 1000 - 50 && r.midGoneAfterMs < r.midTtlSeconds * 1000 + 2_000,
      `and expires on time: its TTL was kept (${r.midGoneAfterMs} ms after it was set)`,
    );
  }
  t.not(readFileSync(file).equals(first), "the second run saved again at exit");
});

t.test("saved every STRMBRKR_KVS_SNAPSHOT_INTERVAL seconds: a server killed later loses nothing saved", async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, "interval.snapshot");
  const { summary: p } = await runFixture(t, "kvs2-snapshot.ts", {
    cwd: dir,
    args: ["periodic", file],
    env: { STRMBRKR_KVS_SNAPSHOT: file, STRMBRKR_KVS_SNAPSHOT_INTERVAL: "0.2" },
  });
  t.ok(p.killed > 0, "the fixture saw an interval save, then SIGKILLed the server (no exit save)");
  const read = await run(file, "read");
  t.equal(read.code, 0, "the next run exits 0", { stderr: read.stderr });
  t.equal(lastJson(read.stdout).periodic, "saved by the interval", "it finds the value the interval saved");
});

t.test("a host killed with SIGKILL: the store still saves as it exits", async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, "killed.snapshot");
  const held = await strmbrkr(["run", fixture("kvs2-snapshot.ts"), "--workers", "1", "--kvs-snapshot", file, "--", "hold"], {
    timeoutMs: 30_000,
    onSpawn: (child) => void waitForLine(child.stdout!, /^ready$/).then(() => child.kill("SIGKILL")),
  });
  t.equal(held.signal, "SIGKILL", "the host was killed");
  t.same(await processesGone(held.instanceId), [], "every process of the run followed it");
  const read = await run(file, "read");
  t.equal(lastJson(read.stdout).held, "saved when the host died", "the next run finds the value");
});

t.test("a bad snapshot stops the run with one line, exit 2, before any process starts, and is left as it was", async (t) => {
  const dir = scratchDir(t);
  const good = join(dir, "good.snapshot");
  await runFixture(t, "kvs2-snapshot.ts", { cwd: dir, args: ["write"], env: { STRMBRKR_KVS_SNAPSHOT: good } });
  const truncated = join(dir, "truncated.snapshot");
  writeFileSync(truncated, readFileSync(good).subarray(0, -10));
  const garbage = join(dir, "garbage.snapshot");
  writeFileSync(garbage, "not a snapshot\n");
  const directory = join(dir, "a-directory");
  mkdirSync(directory);
  const cases: [string, string, RegExp, string[]?][] = [
    ["a truncated snapshot", truncated, /is corrupt \(checksum mismatch: truncated or damaged\); it was left as it is$/],
    ["a file that is not a snapshot", garbage, /is not a strmbrkr snapshot/],
    ["a directory", directory, /cannot be read \(EISDIR\)$/],
    ["a folder that does not exist", join(dir, "missing", "x.snapshot"), /cannot be written \(ENOENT in /],
    ["the same through STRMBRKR_KVS_SNAPSHOT", garbage, /is not a strmbrkr snapshot/, []],
  ];
  for (const [what, file, message, flags = ["--kvs-snapshot", file]] of cases) {
    const before = safeRead(file);
    const result = await strmbrkrWatched(["run", fixture("kvs2-snapshot.ts"), "--workers", "1", ...flags, "--", "read"], {
      env: flags.length ? {} : { STRMBRKR_KVS_SNAPSHOT: file },
      timeoutMs: 30_000,
    });
    t.equal(result.code, 2, `${what}: exit 2`, { stderr: result.stderr });
    const lines = result.stderr.trim().split("\n");
    t.equal(lines.length, 1, `${what}: one line on stderr`, { stderr: result.stderr });
    t.match(lines[0], new RegExp(`^strmbrkr: KVS snapshot ${escape(file)} `), `${what}: it names the file`);
    t.match(lines[0], message, `${what}: and says what is wrong`);
    t.same(result.started, [], `${what}: no broker, store or worker was started`);
    t.same(safeRead(file), before, `${what}: the file is unchanged`);
  }
});

function safeRead(path: string): Buffer | string {
  try {
    return readFileSync(path);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? "error";
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

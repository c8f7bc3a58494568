/**
 * The caches under the user's cache folder are pruned after a run, at most once a day: bundles and
 * build records unused for 30 days (a hit renews them), Node's compiled code not written for 7
 * (runtime/util/cache-prune.ts). Only the caches' own names go; no link is followed; another
 * user's folder is left alone.
 */
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { BUNDLE_CACHE, COMPILE_CACHE, PRUNE_STAMP, pruneCache } from "../runtime/util/cache-prune.js";
import { lastJson, processesGone, strmbrkr } from "./lib/cli.js";
import type { TapTest } from "./lib/scenario.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.now();
const MONTH = { olderThanMs: 30 * DAY, now: NOW };
const hash = (digit: string) => digit.repeat(64);

function scratch(t: TapTest): string {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-prune-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `path` last modified `daysAgo` days before NOW. */
function file(path: string, daysAgo: number): string {
  writeFileSync(path, "x");
  const when = new Date(NOW - daysAgo * DAY);
  utimesSync(path, when, when);
  return path;
}

t.test("bundles and build records unused for 30 days go; newer ones and other files stay", async (t) => {
  const dir = scratch(t);
  const oldBundle = file(join(dir, `${hash("a")}.mjs`), 40);
  const oldRecord = file(join(dir, `build-${hash("b")}.json`), 31);
  const recent = file(join(dir, `${hash("c")}.mjs`), 29);
  const notOurs = file(join(dir, "notes.txt"), 400);
  const outside = file(join(scratch(t), "precious"), 400);
  const link = join(dir, `${hash("d")}.mjs`);
  symlinkSync(outside, link);
  t.equal(pruneCache(dir, BUNDLE_CACHE, MONTH), 2, "two files removed");
  t.notOk(existsSync(oldBundle), "the old bundle went");
  t.notOk(existsSync(oldRecord), "the old build record went");
  t.ok(existsSync(recent), "a bundle used 29 days ago stays");
  t.ok(existsSync(notOurs), "a file of another name stays, however old");
  t.ok(lstatSync(link).isSymbolicLink(), "a link named like a bundle stays");
  t.ok(existsSync(outside), "what it points at stays");
  t.ok(lstatSync(join(dir, PRUNE_STAMP)).isFile(), "the pass is stamped");
});

t.test("one pass a day: the stamp holds the next back until a day has passed", async (t) => {
  const dir = scratch(t);
  file(join(dir, `${hash("a")}.mjs`), 40);
  t.equal(pruneCache(dir, BUNDLE_CACHE, MONTH), 1);
  const later = file(join(dir, `${hash("b")}.mjs`), 40);
  t.equal(pruneCache(dir, BUNDLE_CACHE, { ...MONTH, now: NOW + DAY / 2 }), 0, "half a day later: no pass");
  t.ok(existsSync(later));
  t.equal(pruneCache(dir, BUNDLE_CACHE, { ...MONTH, now: NOW + 2 * DAY }), 1, "two days later: a pass");
  t.notOk(existsSync(later));
});

t.test("compiled code: old entries in Node's version folders go, an emptied folder too, nothing else", async (t) => {
  const dir = scratch(t);
  const current = join(dir, "v24.21.0-x64-964aae3f-0");
  const stale = join(dir, "v22.23.3-x64-9de703df-0");
  const other = join(dir, "keep-me");
  for (const folder of [current, stale, other]) mkdirSync(folder);
  const oldEntry = file(join(current, "5074cc2d"), 8);
  const newEntry = file(join(current, "da829906"), 1);
  const unfinished = file(join(current, "14bea00a.pxE8k1"), 9); // a write its process did not finish
  const writing = file(join(current, "c8dee029.SsT1U3"), 0);
  file(join(stale, "021aad6c"), 60);
  const elsewhere = file(join(other, "8791bde4"), 60);
  const topLevel = file(join(dir, "d20bfaf4"), 60);
  t.equal(pruneCache(dir, COMPILE_CACHE, { olderThanMs: 7 * DAY, now: NOW }), 3);
  t.notOk(existsSync(oldEntry), "an entry not written for 8 days went");
  t.notOk(existsSync(unfinished), "an old unfinished write went");
  t.ok(existsSync(newEntry), "yesterday's stays");
  t.ok(existsSync(writing), "one being written stays");
  t.notOk(existsSync(stale), "a version folder left empty went");
  t.ok(existsSync(elsewhere), "a folder of another name is not entered");
  t.ok(existsSync(topLevel), "files beside the version folders stay");
});

t.test("a cache folder that is a link is not pruned", async (t) => {
  const target = scratch(t);
  const old = file(join(target, `${hash("a")}.mjs`), 40);
  const link = join(scratch(t), "cache");
  symlinkSync(target, link);
  t.equal(pruneCache(link, BUNDLE_CACHE, MONTH), 0, "no pass");
  t.ok(existsSync(old), "nothing removed through the link");
  t.notOk(existsSync(join(target, PRUNE_STAMP)), "nothing written there either");
});

t.test(
  "another user's cache folder, or another user's file in ours, is not pruned",
  { skip: process.getuid?.() !== 0 && "needs root to give files away" },
  async (t) => {
    const theirs = scratch(t);
    const old = file(join(theirs, `${hash("a")}.mjs`), 40);
    chownSync(theirs, 65534, 65534);
    t.equal(pruneCache(theirs, BUNDLE_CACHE, MONTH), 0, "no pass in their folder");
    t.ok(existsSync(old), "its old bundle stays");
    const ours = scratch(t);
    const planted = file(join(ours, `${hash("b")}.mjs`), 40);
    chownSync(planted, 65534, 65534); // as in a shared STRMBRKR_CACHE_DIR another user wrote to
    const own = file(join(ours, `${hash("c")}.mjs`), 40);
    t.equal(pruneCache(ours, BUNDLE_CACHE, MONTH), 1, "one file removed");
    t.ok(existsSync(planted), "another user's file stays, however old and however named");
    t.notOk(existsSync(own), "our own old bundle went");
  },
);

t.test("a run renews the bundle it took from the cache, and prunes what is old once it ends", { timeout: 60_000 }, async (t) => {
  const home = scratch(t);
  const cache = join(home, "bundles");
  const project = scratch(t);
  const script = join(project, "script.ts");
  writeFileSync(script, "export default async function main() { console.log(JSON.stringify({ ok: true })); }\n");
  const env = { STRMBRKR_CACHE_DIR: cache, XDG_CACHE_HOME: home };
  const run = async () => {
    const result = await strmbrkr(["run", script, "--workers", "1", "--no-progress"], { env });
    t.equal(result.code, 0, "the run succeeded", { stderr: result.stderr });
    t.same(lastJson(result.stdout), { ok: true });
    t.same(await processesGone(result.instanceId), [], "no process left");
  };
  await run(); // bundles, and keeps the bundle
  const kept = readdirSync(cache).filter((name) => BUNDLE_CACHE.file.test(name));
  t.equal(kept.length, 2, "a bundle and its build record");
  for (const name of kept) file(join(cache, name), 40); // as if unused for 40 days…
  rmSync(join(cache, PRUNE_STAMP)); // …and not pruned since
  const stale = file(join(cache, `${hash("0")}.mjs`), 40);
  await run(); // a hit
  t.notOk(existsSync(stale), "an old bundle no run used went");
  for (const name of kept) t.ok(lstatSync(join(cache, name)).mtimeMs > NOW - DAY, `${name.slice(0, 12)}… renewed by the hit, so kept`);
  t.ok(existsSync(join(cache, PRUNE_STAMP)), "stamped");
});

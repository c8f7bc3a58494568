/**
 * The compile cache's folder (runtime/util/compile-cache.ts): V8 runs the code it finds there, so
 * only a folder of this user's alone is used — not one another user owns or could write to.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { compileCacheDir } from "../runtime/util/compile-cache.js";

function cacheHome(t: { teardown(fn: () => void): void }): string {
  const home = mkdtempSync(join(tmpdir(), "strmbrkr-compile-cache-"));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

t.test("made 0700 in the user's cache folder and used", async (t) => {
  const home = cacheHome(t);
  const dir = compileCacheDir({ XDG_CACHE_HOME: home });
  t.equal(dir, join(home, "strmbrkr", "compile"));
  t.equal(statSync(dir!).mode & 0o777, 0o700, "0700");
});

t.test("a folder others may write to is not used", async (t) => {
  const home = cacheHome(t);
  const dir = join(home, "strmbrkr", "compile");
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  t.equal(compileCacheDir({ XDG_CACHE_HOME: home }), undefined);
});

t.test(
  "a folder another user planted is not used",
  { skip: process.getuid?.() !== 0 && "needs root to make a folder another uid owns" },
  async (t) => {
    const home = cacheHome(t);
    const dir = join(home, "strmbrkr", "compile");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, 65534, 65534);
    t.equal(compileCacheDir({ XDG_CACHE_HOME: home }), undefined);
  },
);

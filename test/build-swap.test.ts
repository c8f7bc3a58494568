/**
 * scripts/replace-dir.mjs, how build.mjs puts a new dist/ in place: a build writes a staging folder
 * beside it and swaps it in with renames, so an interrupted build leaves the old dist/ whole and
 * the next build removes its leftovers. (A whole build takes ~17 s: the swap is tested alone.)
 */
import t from "tap";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeStale, replaceDir, stagingDir } from "../scripts/replace-dir.mjs";
import { ROOT } from "./lib/cli.js";

function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-build-swap-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "dist", "cli"), { recursive: true });
  writeFileSync(join(dir, "dist", "cli", "main.js"), "old");
  return dir;
}

t.test("the built folder replaces dist/ whole, and nothing else is left beside it", async (t) => {
  const dir = scratch(t);
  const target = join(dir, "dist");
  const built = stagingDir(target);
  mkdirSync(join(built, "cli"), { recursive: true });
  writeFileSync(join(built, "cli", "main.js"), "new");
  t.equal(readFileSync(join(target, "cli", "main.js"), "utf8"), "old", "dist/ is untouched while the build writes");
  replaceDir(built, target);
  t.equal(readFileSync(join(target, "cli", "main.js"), "utf8"), "new");
  t.same(readdirSync(dir), ["dist"], "no staging or old folder is left");
});

t.test("a build killed half-way leaves dist/ as it was; the next build removes its leftovers, not a running build's", async (t) => {
  const dir = scratch(t);
  const target = join(dir, "dist");
  const module = JSON.stringify(new URL("scripts/replace-dir.mjs", `file://${ROOT}`).href);
  // Starts a build's staging folder, half-writes it, and dies as a Ctrl-C'd or OOM-killed build would.
  const code = `const { stagingDir } = await import(${module}); const fs = await import("node:fs");
    const out = stagingDir(${JSON.stringify(target)}); fs.mkdirSync(out + "/cli", { recursive: true });
    fs.writeFileSync(out + "/cli/main.js", "half"); process.kill(process.pid, "SIGKILL");`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: "ignore" });
  const [, signal] = await once(child, "exit");
  t.equal(signal, "SIGKILL");
  t.equal(readFileSync(join(target, "cli", "main.js"), "utf8"), "old", "dist/ is the old one, whole");
  const leftover = readdirSync(dir).filter((name) => name !== "dist");
  t.equal(leftover.length, 1, `the killed build's staging folder is there (${leftover})`);

  const running = stagingDir(target); // this process's: a build still going on
  mkdirSync(running);
  removeStale(target);
  t.same(readdirSync(dir).sort(), ["dist", running.slice(dir.length + 1)].sort(), "the dead build's folder is gone; the live one's stays");
  t.ok(existsSync(join(target, "cli", "main.js")));
});

/**
 * `strmbrkr init` writes a starter script and a tsconfig.json that type-checks in any folder;
 * `strmbrkr run --typecheck` stops at a type error, before any process starts.
 */
import t from "tap";
import { execFileSync } from "node:child_process";
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, processesGone, strmbrkr, strmbrkrWatched } from "./lib/cli.js";

const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const TYPE_ERROR = 'export const broken: number = "oops";\n';

// Outside the package: no node_modules, no tsconfig.json on the way up.
const dir = mkdtempSync(join(tmpdir(), "strmbrkr-init-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const project = join(dir, "project");

t.test("init writes script.ts and a tsconfig.json with which tsc passes; it never overwrites", { timeout: 90_000 }, async (t) => {
  const result = await strmbrkr(["init", "project"], { cwd: dir });
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /wrote project\/script\.ts and project\/tsconfig\.json/);
  t.doesNotThrow(
    () => execFileSync(process.execPath, [TSC, "--noEmit", "-p", project], { cwd: dir, encoding: "utf8" }),
    "tsc --noEmit -p passes",
  );

  const again = await strmbrkr(["init", "project"], { cwd: dir });
  t.equal(again.code, 2);
  t.equal(again.stderr, "strmbrkr: project/script.ts exists already; not overwriting it (nothing written)\n");
  t.notMatch(readFileSync(join(project, "script.ts"), "utf8"), "oops", "unchanged");
});

t.test("run --typecheck: a type error stops the run with file:line:col, exit 2, nothing started", { timeout: 90_000 }, async (t) => {
  const broken = join(dir, "broken");
  const withConfig = join(project, "broken.ts");
  copyFileSync(join(project, "script.ts"), withConfig);
  const line = readFileSync(withConfig, "utf8").split("\n").length; // the line appended next
  appendFileSync(withConfig, TYPE_ERROR);
  // And a script with no tsconfig.json of its own: the defaults init writes.
  execFileSync("mkdir", [broken]);
  copyFileSync(withConfig, join(broken, "script.ts"));
  for (const [script, shown] of [
    [withConfig, "project/broken.ts"],
    [join(broken, "script.ts"), "broken/script.ts"],
  ] as const) {
    const result = await strmbrkrWatched(["run", script, "--typecheck"], { cwd: dir, timeoutMs: 60_000 });
    t.equal(result.code, 2, `exit 2 (${shown})`);
    t.match(
      result.stderr,
      `${shown}:${line}:14: error TS2322: Type 'string' is not assignable to type 'number'.\n`,
      "file:line:col: message",
    );
    t.match(result.stderr, /strmbrkr: .* 1 type error \(--typecheck\); not run\n$/);
    t.equal(result.stdout, "");
    t.same(result.started, [], "no broker, store or worker was started");
    t.same(await processesGone(result.instanceId), [], "no process left");
  }
  const unchecked = await strmbrkr(["run", withConfig, "--no-progress", "--", "3"], { cwd: dir, timeoutMs: 60_000 });
  t.equal(unchecked.code, 0, "without --typecheck it runs (esbuild strips types)");
});

t.test("run --typecheck on a script without type errors runs it", { timeout: 90_000 }, async (t) => {
  const result = await strmbrkr(["run", "project/script.ts", "--typecheck", "--no-progress", "--", "3"], { cwd: dir, timeoutMs: 60_000 });
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, "3 jobs on 4 workers: the squares of 0..2 add up to 5");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

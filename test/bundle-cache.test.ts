import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { PRUNE_STAMP } from "../runtime/util/cache-prune.js";
import { lastJson, strmbrkr } from "./lib/cli.js";
import type { TapTest } from "./lib/scenario.js";

// A script bundled once is not bundled again while nothing it was made from changes: the second
// run takes the bundle from the cache (STRMBRKR_CACHE_DIR), and any change to what esbuild read
// (an imported file, a new file an import would now resolve to, a syntax error) bundles afresh.

const REUSED = /unchanged since it was last bundled; the bundle comes from the cache/;

function project(t: TapTest): { dir: string; env: Record<string, string>; run: () => ReturnType<typeof strmbrkr> } {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-build-cache-"));
  const cache = mkdtempSync(join(tmpdir(), "strmbrkr-cache-"));
  t.teardown(() => {
    for (const path of [dir, cache]) rmSync(path, { recursive: true, force: true });
  });
  writeFileSync(
    join(dir, "script.ts"),
    [
      'import type { MainContext } from "strmbrkr";',
      'import { label } from "./util";',
      "export function describe(n: number): string { return `${label}:${n}`; }",
      "export default async function main({ queue }: MainContext) {",
      "  console.log(JSON.stringify({ value: await queue.submit(describe, 7) }));",
      "}",
    ].join("\n"),
  );
  writeFileSync(join(dir, "util.js"), 'export const label = "js";\n');
  const env = { STRMBRKR_CACHE_DIR: cache };
  return {
    dir,
    env,
    run: () => strmbrkr(["run", join(dir, "script.ts"), "--workers", "1", "--no-progress", "--log-level", "DEBUG"], { env }),
  };
}

t.test("a second run of an unchanged script reuses its bundle; the result is the same", async (t) => {
  const { env, run } = project(t);
  const first = await run();
  t.equal(first.code, 0, "first run exits 0", { stderr: first.stderr.slice(-2000) });
  t.notMatch(first.stderr, REUSED, "the first run bundles");
  t.same(lastJson(first.stdout), { value: "js:7" });
  const cached = readdirSync(env.STRMBRKR_CACHE_DIR)
    .filter((name) => name !== PRUNE_STAMP)
    .sort();
  t.equal(cached.length, 2, `a bundle and its build record are kept (${cached})`);
  t.equal(cached.filter((name) => /^[0-9a-f]{64}\.mjs$/.test(name)).length, 1, "the bundle, named by its sha256");
  t.equal(cached.filter((name) => /^build-[0-9a-f]{64}\.json$/.test(name)).length, 1, "its build record");
  const second = await run();
  t.equal(second.code, 0, "second run exits 0", { stderr: second.stderr.slice(-2000) });
  t.match(second.stderr, REUSED, "the second run takes the bundle from the cache");
  t.same(lastJson(second.stdout), { value: "js:7" }, "with the same result");
});

t.test("a changed import, a new file an import now resolves to, or a syntax error: bundled afresh", async (t) => {
  const { dir, run } = project(t);
  t.equal((await run()).code, 0, "first run exits 0");

  writeFileSync(join(dir, "util.js"), 'export const label = "edited";\n');
  const edited = await run();
  t.notMatch(edited.stderr, REUSED, "an edited import is bundled again");
  t.same(lastJson(edited.stdout), { value: "edited:7" }, "and its new content runs");

  // esbuild prefers util.ts to util.js for "./util": a new file changes the bundle without touching any input.
  writeFileSync(join(dir, "util.ts"), 'export const label: string = "ts";\n');
  const shadowed = await run();
  t.notMatch(shadowed.stderr, REUSED, "a new file beside the inputs is bundled again");
  t.same(lastJson(shadowed.stdout), { value: "ts:7" }, "and the import resolves to it");

  writeFileSync(join(dir, "util.ts"), "export const label: string = ;\n");
  const broken = await run();
  t.equal(broken.code, 2, "a syntax error exits 2, never a stale bundle");
  t.match(broken.stderr, /util\.ts:1:\d+: error: /, "naming the file and line");
});

t.test("esbuild's service process does not outlive the build", async (t) => {
  const { dir, env } = project(t);
  // main looks for an esbuild process among its own process's children, for up to 10 s.
  writeFileSync(
    join(dir, "children.ts"),
    [
      'import { readdirSync, readFileSync } from "node:fs";',
      "function esbuildChildren(): number[] {",
      "  const pids: number[] = [];",
      '  for (const pid of readdirSync("/proc").filter((name) => /^\\d+$/.test(name))) {',
      "    try {",
      '      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");',
      '      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);',
      '      if (ppid === process.pid && stat.includes("(esbuild)")) pids.push(Number(pid));',
      "    } catch {",
      "      // gone meanwhile",
      "    }",
      "  }",
      "  return pids;",
      "}",
      "export default async function main() {",
      "  const deadline = Date.now() + 10_000;",
      "  while (esbuildChildren().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));",
      "  console.log(JSON.stringify({ esbuild: esbuildChildren() }));",
      "}",
    ].join("\n"),
  );
  const result = await strmbrkr(["run", join(dir, "children.ts"), "--workers", "1", "--no-progress", "--log-level", "DEBUG"], { env });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-2000) });
  t.notMatch(result.stderr, REUSED, "the script was bundled");
  t.same(lastJson(result.stdout), { esbuild: [] }, "no esbuild process is left while main runs");
});

/**
 * How the build lays out what a process loads (build.mjs): the stdlib's modules, which the host, every
 * worker and the store load, are in one chunk, so a worker loads a few files, not one per module
 * (each costs Node a resolve, a read and a link at start-up: BENCHMARKS.md, "Start-up"). A new
 * dynamic import or entry that splits them again fails here rather than only in the benchmark.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import t from "tap";
import { ROOT } from "./lib/cli.js";

const DIST = join(ROOT, "dist");

/** The files `entries` (under dist/) load through static imports, themselves included. */
function staticGraph(...entries: string[]): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, "utf8").matchAll(/^\s*(?:import|export)\b[^"';]*?["'](\.[^"']+)["'];/gm))
      visit(resolve(dirname(file), specifier!));
  };
  for (const entry of entries) visit(join(DIST, entry));
  return [...seen].map((file) => relative(DIST, file)).sort();
}

t.test("a worker loads its entry, the stdlib and a few chunks: not a file per module", async (t) => {
  const worker = staticGraph("runtime/worker/main.js", "runtime/worker/worker.js", "stdlib/index.js");
  t.ok(worker.length <= 12, `a worker loads ${worker.length} files (at most 12): ${worker.join(", ")}`);
  const stdlib = staticGraph("stdlib/index.js");
  t.ok(stdlib.length <= 6, `the stdlib is ${stdlib.length} files (at most 6): ${stdlib.join(", ")}`);
  const store = staticGraph("runtime/kvs/main.js", "stdlib/index.js");
  t.ok(store.length <= 12, `the store loads ${store.length} files (at most 12): ${store.join(", ")}`);
});

t.test("the worker's early entry stays small: not the stdlib's chunk", async (t) => {
  const early = staticGraph("runtime/worker/main.js");
  const bytes = early.reduce((sum, file) => sum + statSync(join(DIST, file)).size, 0);
  t.ok(bytes <= 16_384, `runtime/worker/main.js loads ${bytes} bytes (at most 16 KiB): ${early.join(", ")}`);
});

t.test("no process imports node:fs or node:util as an ES module (their facades run every lazy getter)", async (t) => {
  const processes = ["cli/main.js", "runtime/hub/main.js", "runtime/hub/hub.js", "runtime/kvs/main.js", "runtime/worker/main.js"];
  const loaded = [...new Set([...staticGraph(...processes), ...staticGraph("runtime/worker/worker.js", "stdlib/index.js")])];
  const importing = loaded.filter((file) =>
    /^\s*import\b[^;]*?from\s*["'](?:node:)?(?:fs|util)["']/m.test(readFileSync(join(DIST, file), "utf8")),
  );
  t.same(importing, [], `through require() instead (build.mjs, builtinsThroughRequire); ${loaded.length} files checked`);
});

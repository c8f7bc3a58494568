// The build: tsc type-checks and writes the declarations; esbuild bundles each process's entry
// (the CLI, hub, key-value store, worker, and the stdlib a job script imports), so a process
// loads a few files instead of ~40 modules. The modules entries share go into shared chunks, so
// the stdlib a job script's bundle imports is the same instance the process's own code uses.
// The dashboard's page (web/) is one more bundle, for browsers: dist/web/ holds index.html, app.js, app.css;
// and the journal's HTML report another: report.js and report.css, which `strmbrkr report --html` inlines.
// Everything is written to a staging folder beside dist/, swapped in at the end (scripts/replace-dir.mjs).
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import * as esbuild from "esbuild";
import { removeStale, replaceDir, stagingDir } from "./scripts/replace-dir.mjs";

removeStale("dist");
const outdir = stagingDir("dist");
try {
  await build();
  replaceDir(outdir, "dist");
} catch (error) {
  rmSync(outdir, { recursive: true, force: true });
  throw error;
}

async function build() {
  execFileSync(
    process.execPath,
    [createRequire(import.meta.url).resolve("typescript/bin/tsc"), "-p", "tsconfig.json", "--outDir", outdir],
    { stdio: "inherit" },
  );
  const common = {
    outbase: ".",
    outdir,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: true,
    logLevel: "warning",
  };
  // Native code, each found through its own package at run time; TypeScript (CommonJS, ~9 MB), loaded by --typecheck alone;
  // prom-client (CommonJS, which an ES module bundle cannot require), loaded by --dashboard and --metrics alone.
  const external = ["zeromq", "esbuild", "typescript", "prom-client"];
  const builtins = await builtinsThroughRequire(["fs", "util"]);
  // The hub never loads a job script: its own files. Its entry (main.ts) forks the workers before it loads the rest (hub.ts).
  await esbuild.build({
    ...common,
    external,
    plugins: [builtins],
    entryPoints: ["runtime/hub/main.ts", "runtime/hub/hub.ts"],
    splitting: true,
    chunkNames: "runtime/hub/chunks/[name]-[hash]",
  });
  // The host, the workers and the key-value store each import the job script's bundle, which imports
  // dist/stdlib/index.js: what they share with the stdlib goes into chunks, so it exists once a process.
  const processes = {
    ...common,
    external,
    entryPoints: [
      "cli/main.ts",
      "cli/early-run.ts",
      "runtime/host/services.ts",
      "runtime/kvs/main.ts",
      "runtime/worker/main.ts",
      "runtime/worker/worker.ts",
      "runtime/util/compile-cache.ts",
      "stdlib/index.ts",
    ],
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
  };
  // esbuild puts a module in a chunk by the set of entries and dynamic imports that reach it, so the
  // stdlib's modules, which every one of these processes loads, were spread over ~20 chunks: an ES
  // module each for Node to resolve, read and link (a worker loaded 28 files, 11 now; BENCHMARKS.md,
  // "Start-up"). So every entry and dynamic import imports the stdlib first, and its modules share
  // one chunk: all but the early entries, which run before the rest is loaded and stay small, and
  // the stdlib's own modules (no cycle is made).
  const early = ["cli/early-run.ts", "runtime/worker/main.ts", "runtime/util/compile-cache.ts"];
  const { dynamic, stdlib } = await moduleGraph(processes, "stdlib/index.ts");
  const reached = [...processes.entryPoints, ...dynamic].filter((file) => !early.includes(file) && !stdlib.has(file));
  await esbuild.build({ ...processes, plugins: [importFirst("stdlib/index.ts", reached), loadedOnFirstCall("string-width"), builtins] });
  // The dashboard's page: Preact and uPlot bundled in, no source maps (the server serves these three files alone).
  // The CSS it imports (its own and uPlot's) becomes app.css beside app.js.
  const page = {
    bundle: true,
    platform: "browser",
    format: "esm",
    target: ["chrome110", "firefox110", "safari16"],
    minify: true,
    sourcemap: false,
    jsx: "automatic",
    jsxImportSource: "preact",
    logLevel: "warning",
  };
  await esbuild.build({ ...page, entryPoints: ["web/main.tsx"], outfile: `${outdir}/web/app.js` });
  // The report: the same drawings and components, its own entry; one file, so no chunks to inline.
  await esbuild.build({ ...page, entryPoints: ["web/report.tsx"], outfile: `${outdir}/web/report.js` });
  copyFileSync("web/index.html", `${outdir}/web/index.html`);
}

/** Of `options`' build: the files imported dynamically (a chunk each), and those `root` imports statically, itself included. */
async function moduleGraph(options, root) {
  const { metafile } = await esbuild.build({ ...options, write: false, metafile: true, sourcemap: false });
  const { inputs } = metafile;
  const dynamic = new Set();
  for (const { imports } of Object.values(inputs))
    for (const { kind, path: file, external } of imports) if (kind === "dynamic-import" && !external) dynamic.add(file);
  const reach = (file, seen) => {
    if (seen.has(file) || !inputs[file]) return seen;
    seen.add(file);
    for (const { kind, path: next } of inputs[file].imports) if (kind === "import-statement") reach(next, seen);
    return seen;
  };
  return { dynamic: [...dynamic], stdlib: reach(root, new Set()) };
}

/**
 * A plugin: the bundle's imports of these Node built-ins (`fs` or `node:fs`, …) go through require() instead of an ES import.
 * Node builds an ES module facade of a built-in on its first import and reads every export into it,
 * lazy getters included: node:fs's ReadStream and the like load the streams, fs/promises and readline
 * (~3.3 ms of every process's start on Node 24, ~2.5 on Node 20), node:util's ~3 ms on Node 24. Each
 * export becomes a pure read of the module, so esbuild drops those nothing imports.
 */
async function builtinsThroughRequire(modules) {
  const names = new Map();
  for (const module of modules)
    names.set(
      module,
      Object.keys(await import(`node:${module}`)).filter((name) => name !== "default"),
    );
  return {
    name: "builtins-through-require",
    setup(build) {
      const filter = new RegExp(`^(?:node:)?(?:${modules.join("|")})$`);
      const namespace = "builtin-through-require";
      build.onResolve({ filter }, ({ path: specifier }) => ({ path: specifier.replace(/^node:/, ""), namespace }));
      build.onLoad({ filter: /.*/, namespace }, ({ path: module }) => ({
        contents: [
          'import { createRequire } from "node:module";',
          `const $module = createRequire(import.meta.url)("node:${module}");`, // "$": no built-in export is named so
          "const $read = (name) => $module[name];",
          "export default $module;",
          ...names.get(module).map((name) => `export const ${name} = /* @__PURE__ */ $read(${JSON.stringify(name)});`),
        ].join("\n"),
        resolveDir: ".",
      }));
    },
  };
}

/**
 * A plugin: the default export of package `name` (a function) is loaded on its first call instead of
 * with the bundle, for a package whose loading costs more than the calls a run makes. string-width
 * (yargs's and cliui's, for the layout of --help) builds an Intl.Segmenter and Unicode-property regular
 * expressions as it loads: ~25 ms of CPU on every start of the CLI, which prints no help on most. A
 * module the bundle reaches through require() is evaluated when first required.
 */
function loadedOnFirstCall(name) {
  return {
    name: "loaded-on-first-call",
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${name}$`) }, async ({ path: specifier, kind, resolveDir, pluginData }) => {
        if (pluginData?.real) return undefined;
        const real = await build.resolve(specifier, { kind, resolveDir, pluginData: { real: true } });
        return real.errors.length > 0 ? { errors: real.errors } : { path: real.path, namespace: "first-call" };
      });
      build.onLoad({ filter: /.*/, namespace: "first-call" }, ({ path: file }) => ({
        contents: `export default (...args) => require(${JSON.stringify(file)}).default(...args);`,
        resolveDir: path.dirname(file),
      }));
    },
  };
}

/** A plugin: each of `files` imports `first` before its own imports (on its first line, so its source map's lines hold). */
function importFirst(first, files) {
  const wanted = new Set(files.map((file) => path.resolve(file)));
  return {
    name: "import-first",
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, ({ path: file }) => {
        if (!wanted.has(file)) return undefined;
        const specifier = path.relative(path.dirname(file), path.resolve(first)).replace(/\.ts$/, ".js");
        return {
          contents: `import ${JSON.stringify(specifier.startsWith(".") ? specifier : `./${specifier}`)}; ${readFileSync(file, "utf8")}`,
          loader: "ts",
        };
      });
    },
  };
}

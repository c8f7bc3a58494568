import { readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import type { BuildOptions, Message, Plugin } from "esbuild";
import { ScriptError } from "../util/errors.js";
import { cachedBuild, storeBuild } from "./build-cache.js";
import { getLogger } from "../config/logger.js";
import { STDLIB_URL, STRMBRKR_VERSION } from "../util/package-root.js";
import { safeWriteFile } from "../util/safe-write.js";
import { scriptProblem } from "./script-file.js";

/** The job script, bundled into one ESM file that every process of the run imports. */
export interface Bundle {
  /** The user's script, absolute. */
  script: string;
  /** The bundled file, absolute. */
  path: string;
  /** Export names of the script: jobs travel by these names. */
  exports: readonly string[];
  /** Whether the bundle names `KeyValueStore` (usesStore()): if not, its store starts only when first used. */
  usesStore: boolean;
}

/**
 * Whether a bundle's code names `KeyValueStore`, the only way into the store a script has (the
 * global or the import; strmbrkr itself is not in the bundle, and the inline source map is base64).
 * A run whose script does not starts its store only if something asks for it: booting one it never
 * uses cost each run a fifth of a second of a core while its first jobs ran (BENCHMARKS.md).
 */
export function usesStore(bundle: Uint8Array): boolean {
  return Buffer.from(bundle.buffer, bundle.byteOffset, bundle.byteLength).includes("KeyValueStore");
}

const log = getLogger("bundle");

const resolveStrmbrkr: Plugin = {
  name: "strmbrkr",
  setup(builder) {
    builder.onResolve({ filter: /^strmbrkr(\/.*)?$/ }, () => ({ path: STDLIB_URL, external: true }));
  },
};

// Bundled CommonJS dependencies call require() for node builtins; ESM has none of its own.
const REQUIRE_SHIM =
  'import { createRequire as __strmbrkrCreateRequire } from "node:module"; const require = __strmbrkrCreateRequire(import.meta.url);';

/** Checks that `script` names a readable JS/TS file; throws a one-line ScriptError otherwise. */
export async function checkScript(script: string): Promise<string> {
  const path = resolve(script);
  const problem = scriptProblem(script, await stat(path).catch(() => undefined));
  if (problem) throw new ScriptError(problem);
  return path;
}

const OPTIONS: BuildOptions = {
  bundle: true,
  write: false,
  metafile: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "inline",
  sourcesContent: false,
  logLevel: "silent",
  banner: { js: REQUIRE_SHIM },
  plugins: [resolveStrmbrkr],
};

/** Everything besides the inputs that shapes a bundle: a cached build made otherwise is not reused. */
const CACHE_KEY = JSON.stringify({
  strmbrkr: STRMBRKR_VERSION,
  esbuild: (JSON.parse(readFileSync(createRequire(import.meta.url).resolve("esbuild/package.json"), "utf8")) as { version: string })
    .version,
  stdlib: STDLIB_URL,
  options: { ...OPTIONS, plugins: undefined },
});

/** Builds in progress in this process: esbuild's service stops when none is. */
let building = 0;

/**
 * Bundles `script` and all it imports into `<runDir>/bundle.mjs`, with an inline source map; or
 * copies the bundle of an earlier run when none of its inputs changed (see build-cache.ts).
 */
export async function bundleScript(script: string, runDir: string): Promise<Bundle> {
  const entry = await checkScript(script);
  const outfile = join(runDir, "bundle.mjs");
  const cached = cachedBuild(entry, CACHE_KEY);
  if (cached) {
    log.debug(`${entry}: unchanged since it was last bundled; the bundle comes from the cache`);
    await safeWriteFile(outfile, cached.bytes);
    return { script: entry, path: outfile, exports: cached.exports, usesStore: usesStore(cached.bytes) };
  }
  // esbuild loads only on a cache miss: importing it and starting its service shows in a run's start-up (BENCHMARKS.md).
  const esbuild = await import("esbuild");
  building++;
  const result = await esbuild
    .build({ ...OPTIONS, entryPoints: [entry], outfile })
    .catch((error: { errors?: Message[] }) => {
      const first = error.errors?.[0];
      if (!first) throw error;
      const more = error.errors!.length > 1 ? ` (and ${error.errors!.length - 1} more errors)` : "";
      throw new ScriptError(`${formatMessage(first)}${more}`);
    })
    .finally(() => {
      // Its service is a process of its own, which would otherwise stay for the whole run; the next build starts it again.
      if (--building === 0) void esbuild.stop();
    });
  const output = result.outputFiles![0]!;
  const bytes = Buffer.from(output.contents);
  await safeWriteFile(output.path, bytes);
  const exports = Object.values(result.metafile!.outputs)[0]?.exports ?? [];
  storeBuild(
    entry,
    CACHE_KEY,
    Object.keys(result.metafile!.inputs).map((input) => resolve(input)),
    bytes,
    exports,
  );
  return { script: entry, path: output.path, exports, usesStore: usesStore(bytes) };
}

function formatMessage({ location, text }: Message): string {
  return location ? `${location.file}:${location.line}:${location.column + 1}: error: ${text}` : `error: ${text}`;
}

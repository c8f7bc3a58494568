import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The package's root directory (where its package.json is), found upward from this module: the
 * build (build.mjs) moves modules into bundles and shared chunks, so none knows its own depth.
 */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A file of the package, e.g. `packageUrl("dist/runtime/hub/main.js")`. */
export function packageUrl(path: string): URL {
  return pathToFileURL(join(PACKAGE_ROOT, path));
}

/** What `import … from "strmbrkr"` in a job script means: this very package, wherever the script lives. */
export const STDLIB_URL = packageUrl("dist/stdlib/index.js").href;

/** This installation's strmbrkr version: a remote worker must run the same one as its host. */
export const STRMBRKR_VERSION: string = (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string })
  .version;

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`strmbrkr: no package.json in ${start} or above it`);
  }
}

import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { cachedBundle, defaultCacheDir, renew, sha256, storeBundle } from "../util/bundle-cache.js";
import { safeWriteFileSync } from "../util/safe-write.js";

/**
 * Bundles kept between runs, so a script bundled once starts without esbuild (BENCHMARKS.md). A build
 * is reused only while everything esbuild read still has the same content: each input file's
 * SHA-256, the entries of the folders they sit in (a new file could change what an import
 * resolves to), and the package.json/tsconfig.json/jsconfig.json files on the way up from them
 * (module resolution and compiler settings). The bundle itself sits, named by its SHA-256, in
 * the cache `strmbrkr worker` uses; the build record beside it says which bundle an entry made.
 */

/** What a build read, and what came of it. */
export interface BuildRecord {
  /** SHA-256 of the bundle's bytes. */
  bundle: string;
  exports: string[];
  /** Absolute path → SHA-256 of the content, or null where the file did not exist. */
  files: Record<string, string | null>;
  /** Folder → its entries, sorted and joined by "/". */
  folders: Record<string, string>;
}

const CONFIG_FILES = ["package.json", "tsconfig.json", "jsconfig.json"];

/** The file that records builds of `entry` made with `options` (esbuild's version, the stdlib's path, …). */
function recordPath(cacheDir: string, entry: string, options: string): string {
  const key = createHash("sha256").update(entry).update("\0").update(options).digest("hex");
  return join(cacheDir, `build-${key}.json`);
}

/** The cached bundle of `entry` and its exports, if nothing it was made from has changed since. */
export function cachedBuild(
  entry: string,
  options: string,
  cacheDir = defaultCacheDir(),
): { bytes: Buffer; exports: string[] } | undefined {
  let record: BuildRecord;
  try {
    record = JSON.parse(readFileSync(recordPath(cacheDir, entry, options), "utf8")) as BuildRecord;
  } catch {
    return undefined;
  }
  for (const [path, hash] of Object.entries(record.files)) if (contentHash(path) !== hash) return undefined;
  for (const [folder, entries] of Object.entries(record.folders)) if (folderEntries(folder) !== entries) return undefined;
  const bytes = cachedBundle(cacheDir, record.bundle);
  if (bytes) renew(recordPath(cacheDir, entry, options));
  return bytes && { bytes, exports: record.exports };
}

/** Keeps a build of `entry` for the next run; best effort (a read-only cache folder only costs the next run esbuild). */
export function storeBuild(
  entry: string,
  options: string,
  inputs: string[],
  bytes: Buffer,
  exports: string[],
  cacheDir = defaultCacheDir(),
): void {
  try {
    const files: BuildRecord["files"] = {};
    const folders: BuildRecord["folders"] = {};
    const seen = new Set<string>();
    for (const input of inputs) {
      files[input] = contentHash(input);
      folders[dirname(input)] ??= folderEntries(dirname(input));
      for (let folder = dirname(input); !seen.has(folder); folder = dirname(folder)) {
        seen.add(folder);
        for (const name of CONFIG_FILES) files[join(folder, name)] ??= contentHash(join(folder, name));
      }
    }
    const record: BuildRecord = { bundle: sha256(bytes), exports, files, folders };
    storeBundle(cacheDir, record.bundle, bytes);
    safeWriteFileSync(recordPath(cacheDir, entry, options), JSON.stringify(record));
  } catch {
    // The cache is an optimisation: a run never fails for it.
  }
}

function contentHash(path: string): string | null {
  try {
    return sha256(readFileSync(path));
  } catch {
    return null;
  }
}

/** A folder's entries, sorted ("" if it is gone). Not its mtime: that changes with any temp file written and removed there. */
function folderEntries(folder: string): string {
  try {
    return readdirSync(folder).sort().join("/");
  } catch {
    return "";
  }
}

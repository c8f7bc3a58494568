import { lstatSync, readdirSync, rmdirSync, rmSync, type Stats } from "node:fs";
import { join } from "node:path";
import { defaultCacheDir } from "./bundle-cache.js";
import { compileCacheRoot } from "./compile-cache.js";
import { safeWriteFileSync } from "./safe-write.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * After a run (or a remote worker's), at most once a day: bundles and build records unused for 30 days (a hit renews them),
 * and compiled code not written for 7 (Node does not rewrite an entry it uses, so code still in use
 * is compiled again once a week, one slower start; each run's own bundle leaves an entry no run reuses).
 */
export function pruneCaches(bundles?: string, env: NodeJS.ProcessEnv = process.env, now = Date.now()): void {
  try {
    pruneCache(bundles ?? defaultCacheDir(env), BUNDLE_CACHE, { olderThanMs: 30 * DAY_MS, now });
    pruneCache(compileCacheRoot(env), COMPILE_CACHE, { olderThanMs: 7 * DAY_MS, now });
  } catch {
    // no home folder to find the caches in: nothing to prune, and the run's exit must not fail for it
  }
}

/**
 * The names a cache folder's owner wrote: only those are ever removed, so a cache folder pointed at a
 * folder of other files (STRMBRKR_CACHE_DIR=/tmp) loses nothing else. `folder`: the files sit one
 * level down, in folders of these names (Node's compile cache: one folder per Node version and flags).
 */
export interface CacheLayout {
  file: RegExp;
  folder?: RegExp;
}

/** Bundles by SHA-256 and build records (runtime/util/bundle-cache.ts, runtime/host/build-cache.ts); a hit renews both. */
export const BUNDLE_CACHE: CacheLayout = { file: /^(?:[0-9a-f]{64}\.mjs|build-[0-9a-f]{64}\.json)$/ };
/**
 * Node's compile cache (runtime/util/compile-cache.ts): `v24.21.0-x64-964aae3f-0/5074cc2d`, and the
 * temporary files (`5074cc2d.pxE8k1`) of writes a process did not finish (a worker is killed at a run's end).
 */
export const COMPILE_CACHE: CacheLayout = { folder: /^v\d+\.\d+\.\d+-[\w-]+$/, file: /^[0-9a-f]+(?:\.\w{6})?$/ };

export interface PruneOptions {
  /** Files last written longer ago than this go. */
  olderThanMs: number;
  /** The time to judge ages and the last pass by (tests). */
  now?: number;
}

/** The file whose time is the last pass's. */
export const PRUNE_STAMP = ".pruned";

/**
 * Removes the files of a cache folder last written more than `olderThanMs` ago, and the folders
 * that leaves empty: caches grow with every script version (bundles) and every run (Node's compile
 * cache keeps an entry per file compiled, and each run's bundle has a path of its own), and nothing
 * else would ever remove them. Only this user's own folder, no symbolic link followed, only the
 * names of `layout`; at most once a day (the time of the last pass is PRUNE_STAMP's). Best effort:
 * a cache file that cannot be removed stays. Returns how many files went.
 */
export function pruneCache(dir: string, layout: CacheLayout, { olderThanMs, now = Date.now() }: PruneOptions): number {
  if (!ownFolder(statOf(dir))) return 0;
  const stamp = statOf(join(dir, PRUNE_STAMP));
  if (stamp?.isFile() && now - stamp.mtimeMs < DAY_MS) return 0;
  const cutoff = now - olderThanMs;
  let removed = 0;
  const prune = (folder: string) => {
    for (const name of namesIn(folder)) {
      const path = join(folder, name);
      const info = layout.file.test(name) ? statOf(path) : undefined;
      if (info?.isFile() && info.uid === process.getuid?.() && info.mtimeMs < cutoff && remove(path)) removed++;
    }
  };
  if (layout.folder === undefined) prune(dir);
  else
    for (const name of namesIn(dir)) {
      const folder = join(dir, name);
      if (!layout.folder.test(name) || !ownFolder(statOf(folder))) continue;
      prune(folder);
      if (namesIn(folder).length === 0) removeFolder(folder);
    }
  try {
    safeWriteFileSync(join(dir, PRUNE_STAMP), "");
  } catch {
    // a read-only cache: the next run tries again
  }
  return removed;
}

const ownFolder = (info: Stats | undefined) => info?.isDirectory() === true && info.uid === process.getuid?.();

function statOf(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function namesIn(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

function remove(path: string): boolean {
  try {
    rmSync(path);
    return true;
  } catch {
    return false;
  }
}

function removeFolder(folder: string): void {
  try {
    rmdirSync(folder); // fails if a run wrote to it meanwhile: it stays
  } catch {
    // in use or not ours to remove
  }
}

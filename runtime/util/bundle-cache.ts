import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { STDLIB_URL } from "./package-root.js";
import { safeWriteFileSync } from "./safe-write.js";

/** Where bundles are kept between runs: $STRMBRKR_CACHE_DIR, else $XDG_CACHE_HOME/strmbrkr/bundles, else ~/.cache/strmbrkr/bundles. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STRMBRKR_CACHE_DIR) return env.STRMBRKR_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "strmbrkr", "bundles");
}

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The bundle with this hash from the cache, verified; a file that no longer matches its hash is removed. */
export function cachedBundle(cacheDir: string, hash: string): Buffer | undefined {
  if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
  const path = join(cacheDir, `${hash}.mjs`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  if (sha256(bytes) !== hash) {
    rmSync(path, { force: true });
    return undefined;
  }
  renew(path);
  return bytes;
}

/** Marks a cache file used now: the cache keeps what was used in the last 30 days (runtime/util/cache-prune.ts). */
export function renew(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // a read-only cache: it is pruned by age alone
  }
}

/** Checks a downloaded bundle against its hash and keeps it (written whole, then renamed). Throws on a mismatch. */
export function storeBundle(cacheDir: string, hash: string, bytes: Buffer): void {
  const actual = sha256(bytes);
  if (actual !== hash) throw new Error(`the bundle received has sha256 ${actual}, not the announced ${hash}; refusing to run it`);
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  safeWriteFileSync(join(cacheDir, `${hash}.mjs`), bytes);
}

/** The bundle as this machine loads it: its `strmbrkr` import pointed at this installation. */
export function localizeBundle(bytes: Buffer, hostStdlibUrl: string): string {
  return bytes.toString("utf8").replaceAll(hostStdlibUrl, STDLIB_URL);
}

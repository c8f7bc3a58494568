import { lstatSync, mkdirSync } from "node:fs";
import module from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * From Node 22.1 on: V8's compiled code of the modules this process loads (strmbrkr's own, the job
 * script's bundle) is kept between runs, so a process that starts again skips compiling them. Every
 * process of a run calls this before it loads the rest of its modules. The folder is the user's own
 * cache (beside the bundles: runtime/util/bundle-cache.ts), made 0700; one that others could write
 * to (code in it runs) is not used. Node 20 has no such cache: nothing happens.
 */
export function useCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const enable = (module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (!enable || env.NODE_COMPILE_CACHE !== undefined) return; // Node 20, or the user's own choice
  const dir = compileCacheDir(env);
  if (dir) enable(dir);
}

/**
 * The folder for compiled code, made 0700 if missing; undefined when it is not this user's own
 * (another owner, or others may write to it: code in it runs) or cannot be made. Not under
 * STRMBRKR_CACHE_DIR: that folder holds bundles alone.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = compileCacheRoot(env);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0 ? dir : undefined;
  } catch {
    return undefined; // no cache: the same start, only slower
  }
}

/** Where compiled code is kept (made by compileCacheDir): $XDG_CACHE_HOME/strmbrkr/compile, else ~/.cache/strmbrkr/compile. */
export const compileCacheRoot = (env: NodeJS.ProcessEnv = process.env) =>
  join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "strmbrkr", "compile");

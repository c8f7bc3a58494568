// How build.mjs puts a new dist/ in place. It builds into a staging folder beside dist/ and swaps
// it in with two renames at the end, so dist/ is never half-built: `npm install /path/to/strmbrkr`
// runs `prepare` (the build) in the source folder while runs, tests or editors there may be reading
// dist/. Between the two renames dist/ is missing for a moment (Linux's exchanging rename is not
// in Node); a reader sees the old dist/ or the new one, never a mix.
import { readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const STAGING = /^\.(\d+)\.[0-9a-z]+\.tmp(\.old)?$/;

/** A fresh folder name beside `target` to build into: `<target>.<pid>.<time>.tmp`. */
export function stagingDir(target) {
  return `${target}.${process.pid}.${Date.now().toString(36)}.tmp`;
}

/**
 * Puts the complete folder `built` at `target` and removes what was there. If another build swapped
 * its own in meanwhile, one of the two complete builds stays in place.
 */
export function replaceDir(built, target) {
  const old = `${built}.old`;
  for (let attempt = 0; ; attempt++) {
    let moved = false;
    try {
      renameSync(target, old);
      moved = true;
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
    try {
      renameSync(built, target);
      if (moved) rmSync(old, { recursive: true, force: true });
      return;
    } catch (error) {
      if (moved) renameSync(old, target); // put the old one back rather than leave no dist/
      if (!["ENOTEMPTY", "EEXIST"].includes(error.code) || attempt === 2) throw error;
    }
  }
}

/** Removes the staging folders of builds whose process is gone (interrupted): never a running build's. */
export function removeStale(target) {
  const prefix = basename(target);
  for (const name of readdirSync(dirname(target) || ".")) {
    const match = name.startsWith(prefix) ? STAGING.exec(name.slice(prefix.length)) : null;
    if (match && !alive(Number(match[1]))) rmSync(join(dirname(target), name), { recursive: true, force: true });
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

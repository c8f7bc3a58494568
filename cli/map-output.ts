import { createWriteStream, fstatSync, rmSync, statSync, accessSync, constants, type Stats } from "node:fs";
import { dirname } from "node:path";
import type { Writable } from "node:stream";
import { openTempBeside } from "../runtime/util/safe-write.js";
import { fail } from "./report.js";

// `map --output FILE` and `--errors FILE` as careful CLIs write them (sort -o, sponge, rsync): into a
// temporary file beside the target, renamed over it once every line is written. A run that fails or
// is interrupted leaves the old file as it was and no temporary file. A target that is not a
// regular file (a FIFO, /dev/stdout) is written directly; `-` is stdout.

/** One output of `map`: its stream, and how to finish it. */
export interface MapOutput {
  stream: Writable;
  /** Puts the written file in place (a no-op for stdout and non-regular targets). */
  commit(): Promise<void>;
}

const statOrUndefined = (path: string): Stats | undefined => {
  try {
    return statSync(path); // follows a symlink: its target is what would be overwritten
  } catch {
    return undefined;
  }
};
const sameFile = (a: Stats | undefined, b: Stats | undefined) => a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;

/**
 * Exits 2 with one line naming the flag if an output cannot be written or is the input (the same
 * file by any name: a symlink or a hard link), before any file is opened for writing.
 */
export function checkOutputs(input: string, outputs: [flag: string, path: string | undefined][]): void {
  const inputStats = input === "-" ? fstatOrUndefined(0) : statOrUndefined(input);
  const seen: [string, Stats][] = [];
  for (const [flag, path] of outputs) {
    if (path === undefined || path === "-") continue;
    const stats = statOrUndefined(path);
    if (sameFile(stats, inputStats) && stats!.isFile())
      fail(2, `${flag} ${path} is the input file; writing it would destroy the input (write elsewhere, then rename)`);
    const twin = seen.find(([, other]) => sameFile(stats, other) && stats!.isFile());
    if (twin) fail(2, `${flag} ${path} is the same file as ${twin[0]}`);
    if (stats) seen.push([flag, stats]);
    if (stats?.isDirectory()) fail(2, `${flag} ${path} is a directory`);
    // A regular file is replaced by a rename, so its folder must be writable; anything else is opened as it is.
    const [target, what] = stats && !stats.isFile() ? [path, "it"] : [dirname(path), "its folder"];
    const folder = statOrUndefined(dirname(path));
    if (!folder) fail(2, `${flag} ${path}: no such folder ${dirname(path)}`);
    if (!folder.isDirectory()) fail(2, `${flag} ${path}: ${dirname(path)} is not a folder`);
    try {
      accessSync(target, constants.W_OK);
    } catch {
      fail(2, `${flag} ${path}: ${what} is not writable`);
    }
  }
}

function fstatOrUndefined(fd: number): Stats | undefined {
  try {
    return fstatSync(fd);
  } catch {
    return undefined;
  }
}

/** Opens `path` for `map` as the comment at the top says; an existing file's mode is kept, a new one is 0600. */
export function openMapOutput(path: string): MapOutput {
  if (path === "-") return { stream: process.stdout, commit: async () => {} };
  const stats = statOrUndefined(path);
  if (stats && !stats.isFile()) return { stream: createWriteStream(path), commit: async () => {} };
  const temp = openTempBeside(path, stats ? stats.mode & 0o7777 : 0o600);
  // Any exit before the commit (a failure, Ctrl-C, SIGTERM: they all end in process.exit) removes it.
  const removeTemp = () => rmSync(temp.path, { force: true });
  process.on("exit", removeTemp);
  const stream = createWriteStream("", { fd: temp.fd });
  return {
    stream,
    async commit() {
      await temp.rename();
      process.off("exit", removeTemp);
    },
  };
}

import { closeSync, constants, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { nodeCrypto } from "./node-crypto.js";

// Every file strmbrkr writes goes through here, because runs happen on shared machines (cluster
// login nodes, lab servers) where a folder like /tmp is everyone's. A file is written to a
// temporary file beside it, then renamed over it:
// - the temporary name is random, so no other user can plant a file or a symlink there beforehand;
//   it is created exclusively and without following a symlink, so if something is there anyway the
//   write fails rather than writing into it or through it;
// - it is private (0600) unless the caller asks otherwise, from its creation on;
// - the rename replaces whatever is at the path, a symlink included, in one step: a reader sees the
//   old file or the new one, never half of one, and no file elsewhere is ever written.

/** How `safeWriteFile` and `safeWriteFileSync` write. */
export interface SafeWriteOptions {
  /** The file's permission bits, before the umask. Default 0o600: only the owner can read it. */
  mode?: number;
  /** Flush the data to the disk before the rename, so a crash leaves the old file or the new one whole. Default false. */
  fsync?: boolean;
}

/** The data to write: chunks are written one after the other (a large file need not be joined first). */
export type FileData = string | Uint8Array | Iterable<Uint8Array>;

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

const tempBeside = (path: string) => `${path}.${nodeCrypto().randomBytes(8).toString("hex")}.tmp`;
const chunksOf = (data: FileData) => (typeof data === "string" || data instanceof Uint8Array ? [data] : data);

/**
 * Writes `data` to `path` as the comment at the top of this file says. Throws what the file
 * system throws (EACCES, ENOSPC, EISDIR, …), having removed its temporary file; `path` is then as
 * it was.
 *
 * @example safeWriteFileSync(join(runDir, "kvs.endpoint"), `${endpoint}\n`);
 */
export function safeWriteFileSync(path: string, data: FileData, { mode = 0o600, fsync = false }: SafeWriteOptions = {}): void {
  const temp = tempBeside(path);
  let created = false; // never remove a file we did not create
  try {
    const fd = openSync(temp, CREATE_NEW, mode);
    created = true;
    try {
      for (const chunk of chunksOf(data)) writeFileSync(fd, chunk); // writes all of it, writeSync may not
      if (fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    if (created) rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * The same without blocking the event loop. `signal` aborts the write: its temporary file is removed
 * at once, synchronously, so a process that aborts a write and exits leaves nothing behind; the
 * promise then rejects with an AbortError and `path` is as it was.
 *
 * @example await safeWriteFile(snapshotPath, parts, { fsync: true, signal });
 */
export async function safeWriteFile(
  path: string,
  data: FileData,
  { mode = 0o600, fsync = false, signal }: SafeWriteOptions & { signal?: AbortSignal } = {},
): Promise<void> {
  signal?.throwIfAborted();
  const temp = tempBeside(path);
  let created = false;
  const removeTemp = () => created && rmSync(temp, { force: true });
  signal?.addEventListener("abort", removeTemp, { once: true });
  try {
    const file = await open(temp, CREATE_NEW, mode);
    created = true;
    try {
      for (const chunk of chunksOf(data)) {
        signal?.throwIfAborted();
        await file.writeFile(chunk);
      }
      if (fsync) await file.sync();
    } finally {
      await file.close();
    }
    signal?.throwIfAborted();
    await rename(temp, path);
  } catch (error) {
    if (created) await rm(temp, { force: true });
    throw error;
  } finally {
    signal?.removeEventListener("abort", removeTemp);
  }
}

/** A temporary file opened by `openTempBeside`, to be written through `fd` and then renamed. */
export interface TempFile {
  path: string;
  fd: number;
  /** Renames the temporary file over the target (close `fd` first); removes it if that fails. */
  rename(): Promise<void>;
}

/**
 * Creates the temporary file beside `path` by the rules above (random name, exclusive, no symlink
 * followed, `mode` from its creation on) for a writer that streams into it, e.g. `strmbrkr map
 * --output`. The caller removes `path` of the result if it gives up before `rename()`.
 */
export function openTempBeside(path: string, mode = 0o600): TempFile {
  const temp = tempBeside(path);
  const fd = openSync(temp, CREATE_NEW, mode);
  try {
    fchmodSync(fd, mode); // exactly `mode`, whatever the umask: e.g. the mode of the file it replaces
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  return {
    path: temp,
    fd,
    async rename() {
      try {
        await rename(temp, path);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
  };
}

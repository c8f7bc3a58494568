import { createHash } from "node:crypto";
import { accessSync, closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { deserialize, serialize } from "node:v8";
import { safeWriteFile, safeWriteFileSync } from "../util/safe-write.js";
import type { SnapshotEntry } from "./store.js";

/**
 * A snapshot file: a magic line, a format version (u32 BE), the SHA-256 of the body, then the body:
 * structured clone (`v8.serialize`) of `{ savedAt, entries }`, so Map, BigInt, Date, caches and
 * TTLs survive. The checksum tells a truncated or damaged file from a good one before decoding.
 */
const MAGIC = Buffer.from("STRMBRKR-KVS-SNAPSHOT\n");
const VERSION = 1;
const HEADER_BYTES = MAGIC.length + 4 + 32;

/** Why a snapshot cannot be used: the run must stop and leave the file alone. */
export class SnapshotError extends Error {
  override name = "SnapshotError";
}

interface Body {
  savedAt: number;
  entries: SnapshotEntry[];
}

/** The file's bytes, checked; undefined when there is no file yet (a first run). Throws SnapshotError. */
function readChecked(path: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    // Checked before it is opened, even a dangling symlink (our save could not replace another
    // user's in a sticky folder) or a FIFO (reading it would block); then what was opened.
    const link = lstatSync(path);
    refuseForeign(path, link, link.isSymbolicLink() ? "is a symlink" : "is");
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      refuseForeign(path, fstatSync(fd), link.isSymbolicLink() ? "is a symlink to a file" : "is");
      bytes = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (error instanceof SnapshotError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SnapshotError(`KVS snapshot ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SnapshotError(`KVS snapshot ${path} is not a strmbrkr snapshot; move it away or name another file`);
  }
  const version = bytes.readUInt32BE(MAGIC.length);
  if (version !== VERSION)
    throw new SnapshotError(`KVS snapshot ${path} has format version ${version}; this strmbrkr reads version ${VERSION}`);
  const body = bytes.subarray(HEADER_BYTES);
  const sum = bytes.subarray(MAGIC.length + 4, HEADER_BYTES);
  if (!createHash("sha256").update(body).digest().equals(sum)) {
    throw new SnapshotError(`KVS snapshot ${path} is corrupt (checksum mismatch: truncated or damaged); it was left as it is`);
  }
  return body;
}

/**
 * Refuses a snapshot another user could have written, as ssh refuses a key file with loose
 * permissions: the checksum proves nothing against someone who can write the file (anyone can
 * compute one), and loading their file would feed their values to the run. So the file must be
 * owned by the user running strmbrkr and writable by nobody else; a symlink to it must be theirs
 * too. Being readable by others is not refused: the next save makes it 0600.
 */
function refuseForeign(path: string, info: Stats, what: "is" | "is a symlink" | "is a symlink to a file"): void {
  const uid = process.getuid?.();
  if (uid === undefined) return; // Windows: no owners to compare
  if (info.uid !== uid)
    throw new SnapshotError(`KVS snapshot ${path} ${what} owned by uid ${info.uid}, not by you (uid ${uid}): refusing to load it`);
  if (what !== "is a symlink" && info.mode & 0o022) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    throw new SnapshotError(
      `KVS snapshot ${path} ${what} writable by others (mode ${mode}): refusing to load it; chmod go-w it if it is yours`,
    );
  }
}

/** Checks a snapshot before anything starts, so a bad one stops the run with one line. Throws SnapshotError. */
export function checkSnapshot(path: string): void {
  readChecked(path);
  // A snapshot we could not write at exit would lose the run's data silently. Asked, not tried:
  // a probe file at a name of our choosing would be one more file another user could plant.
  const dir = dirname(path);
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new SnapshotError(
      `KVS snapshot ${path} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message} in ${dir})`,
    );
  }
}

/** The entries in a snapshot file ([] when there is none yet). Throws SnapshotError. */
export function loadSnapshot(path: string): SnapshotEntry[] {
  const body = readChecked(path);
  if (!body) return [];
  let decoded: Body;
  try {
    decoded = deserialize(body) as Body;
  } catch (error) {
    throw new SnapshotError(`KVS snapshot ${path} cannot be decoded (${(error as Error).message}); it was left as it is`);
  }
  if (!decoded || !Array.isArray(decoded.entries)) throw new SnapshotError(`KVS snapshot ${path} holds no entries; it was left as it is`);
  return decoded.entries;
}

function encodeSnapshot(entries: SnapshotEntry[]): Buffer[] {
  const body = serialize({ savedAt: Date.now(), entries } satisfies Body);
  const version = Buffer.alloc(4);
  version.writeUInt32BE(VERSION);
  return [MAGIC, version, createHash("sha256").update(body).digest(), body];
}

/**
 * Writes a snapshot beside `path` and renames it over `path` (see safe-write.ts), fsynced, so a
 * crash mid-write leaves the old snapshot whole. Synchronous: for the last save at exit.
 */
export function saveSnapshotSync(path: string, entries: SnapshotEntry[]): void {
  safeWriteFileSync(path, encodeSnapshot(entries), { fsync: true });
}

/** The same, encoding at once (the data as of now) and writing without blocking the server; `signal` abandons it. */
export async function saveSnapshot(path: string, entries: SnapshotEntry[], signal?: AbortSignal): Promise<void> {
  await safeWriteFile(path, encodeSnapshot(entries), { fsync: true, signal });
}

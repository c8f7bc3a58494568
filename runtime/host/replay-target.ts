import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, type Stats } from "node:fs";
import { join } from "node:path";
import { editDistance } from "../util/edit-distance.js";
import { decode } from "../wire/serialize.js";
import {
  JournalError,
  MAX_RECORDED_ARGS_BYTES,
  scanJournal,
  type FinishedRecord,
  type QueuedRecord,
  type RunRecord,
} from "./journal-format.js";
import { refuseForeign } from "./journal.js";

/** One job of a journal as `strmbrkr replay` runs it again: what ran, with what, and how it ended. */
export interface ReplayTarget {
  journal: string;
  /** The run record of the run that queued it (the latest such run). */
  run: RunRecord;
  queued: QueuedRecord;
  /** Its finished record in that run; undefined when the run ended before the job did. */
  finished?: FinishedRecord;
  /** The encoded arguments, checked to decode. */
  args: Buffer;
  /** The run's bundle, its SHA-256 checked against the run record's. */
  bundle: Buffer;
  /** Where the bundle is kept: `JOURNAL.bundles/<sha256>.mjs`. */
  bundlePath: string;
}

/** Suggestions for an unknown job id are this close at most (edits), and this many. */
const MAX_SUGGESTION_DISTANCE = 2;
const MAX_SUGGESTIONS = 3;

/**
 * Finds job `jobId` in the journal at `journal` (its latest run that queued that id) and checks
 * what replaying it needs: the journal (scanJournal's checks, the user's own file), the recorded
 * arguments, and the run's kept bundle (the user's own file, its SHA-256 the recorded one). Throws
 * JournalError with one line naming what is wrong; reads nothing else and runs nothing.
 */
export function findReplayTarget(journal: string, jobId: string): ReplayTarget {
  const bytes = readOwnFile(journal, "journal");
  let run: RunRecord | undefined;
  let found: { run: RunRecord; queued: QueuedRecord; finished?: FinishedRecord } | undefined;
  const ids: string[] = [];
  let runs = 0;
  scanJournal(bytes, journal, (record) => {
    if (record.t === "run") {
      run = record;
      runs++;
    } else if (record.t === "queued") {
      ids.push(record.id);
      if (record.id === jobId) found = { run: run!, queued: record };
    } else if (record.id === jobId && found && found.run === run && !found.finished) found.finished = record;
  });
  if (!found) throw unknownJob(journal, jobId, ids, runs);
  const { queued } = found;
  if (queued.args === undefined)
    throw new JournalError(
      `journal ${journal}: job ${jobId} (${queued.fn}) had arguments over ${MAX_RECORDED_ARGS_BYTES / 1024} KiB encoded, of which the journal keeps the digest alone: it cannot be replayed`,
    );
  const args = Buffer.from(queued.args, "base64");
  try {
    if (!Array.isArray(decode(args))) throw new Error("not an argument list");
  } catch (error) {
    throw new JournalError(`journal ${journal}: job ${jobId}'s recorded arguments do not decode (${(error as Error).message})`);
  }
  const { bundle, bundlePath } = readBundle(journal, found.run.bundle, jobId);
  return { journal, ...found, args, bundle, bundlePath };
}

/** The run's bundle as kept beside the journal, refused unless it is the user's own and unchanged. */
function readBundle(journal: string, digest: string, jobId: string): { bundle: Buffer; bundlePath: string } {
  const dir = `${journal}.bundles`;
  const bundlePath = join(dir, `${digest}.mjs`);
  const missing = () =>
    new JournalError(`journal ${journal}: the bundle of job ${jobId}'s run, ${bundlePath}, is missing: the job cannot be replayed`);
  const folder = statOrUndefined(dir, "journal bundles folder");
  if (!folder) throw missing();
  if (!folder.isDirectory()) throw new JournalError(`journal bundles folder ${dir} is not a folder: refusing it`);
  refuseForeign(dir, folder, "journal bundles folder");
  if (!statOrUndefined(bundlePath, "journal bundle")) throw missing();
  const bundle = readOwnFile(bundlePath, "journal bundle");
  const actual = createHash("sha256").update(bundle).digest("hex");
  if (actual !== digest)
    throw new JournalError(
      `journal bundle ${bundlePath} changed since its run (its SHA-256 is now ${actual}): refusing it; the job cannot be replayed`,
    );
  return { bundle, bundlePath };
}

/**
 * The bytes of `path`, which must be the user's own regular file, writable by nobody else (the
 * journal's rule: refuseForeign), checked on the file opened as well as on the name.
 */
function readOwnFile(path: string, what: string): Buffer {
  const found = statOrUndefined(path, what);
  if (!found) throw new JournalError(`${what} ${path}: no such file`);
  refuseForeign(path, found, what);
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put there after the check must not hang the open.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw new JournalError(`${what} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    const opened = fstatSync(fd);
    if (opened.ino !== found.ino || opened.dev !== found.dev) throw new JournalError(`${what} ${path} was replaced while it was opened`);
    refuseForeign(path, opened, what);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

function statOrUndefined(path: string, what: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new JournalError(`${what} ${path} cannot be read (${code ?? (error as Error).message})`);
  }
}

/** "No such job", with the nearest ids the journal holds, or how many it holds and what they look like. */
function unknownJob(journal: string, jobId: string, ids: string[], runs: number): JournalError {
  if (ids.length === 0)
    return new JournalError(`journal ${journal} holds no job ${jobId}: it holds no jobs at all (${runs} ${runs === 1 ? "run" : "runs"})`);
  const held = `${ids.length} ${ids.length === 1 ? "job" : "jobs"} in ${runs} ${runs === 1 ? "run" : "runs"}`;
  const near = nearest(jobId, ids);
  const hint =
    near.length > 0
      ? `did you mean ${near.join(", ")}?`
      : `its ids look like ${ids[0]}${ids.length > 1 ? ` … ${ids[ids.length - 1]}` : ""} (the first and last queued)`;
  return new JournalError(`journal ${journal} holds no job ${jobId} (${held}); ${hint}`);
}

/** The ids closest to `id` (at most MAX_SUGGESTION_DISTANCE edits), closest first, each once. */
function nearest(id: string, ids: string[]): string[] {
  const close: { id: string; distance: number }[] = [];
  for (const candidate of new Set(ids)) {
    // Cheap bound first: a length difference is at least that many edits.
    if (Math.abs(candidate.length - id.length) > MAX_SUGGESTION_DISTANCE) continue;
    const distance = editDistance(id, candidate);
    if (distance <= MAX_SUGGESTION_DISTANCE) close.push({ id: candidate, distance });
  }
  return close
    .sort((a, b) => a.distance - b.distance)
    .slice(0, MAX_SUGGESTIONS)
    .map((entry) => entry.id);
}

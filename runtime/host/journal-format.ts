import { crc32 } from "../util/crc32.js";
import { StrmbrkrError } from "../util/errors.js";

// A journal is lines, one record each: `<crc32 of the JSON, 8 hex digits> <JSON>\n` (docs/journal.md).
// The checksum tells a damaged line from a good one; the newline, a whole line from one cut short.

export const JOURNAL_VERSION = 1;

/** Opens a run's part of the journal: what ran (the bundle's SHA-256) and when. */
export interface RunRecord {
  t: "run";
  v: number;
  /** Epoch ms. */
  at: number;
  bundle: string;
  script: string;
  /** The line this run found torn at the end (cut short by a crash) and wrote after: skipped, not corrupt. */
  torn?: number;
}

export interface QueuedRecord {
  t: "queued";
  id: string;
  fn: string;
  /** SHA-256 of the encoded arguments, hex. */
  sha: string;
  /** The encoded arguments, base64, when at most MAX_RECORDED_ARGS_BYTES. */
  args?: string;
}

export interface FinishedRecord {
  t: "finished";
  id: string;
  status: "processed" | "failed";
  /** Processed: the encoded return value, base64. */
  value?: string;
  /** Failed: the error, its stack source-mapped. */
  error?: { name: string; message: string; stack?: string; code?: string };
  /** Failed by throwing a non-Error: that value, encoded, base64. */
  thrown?: string;
  delegated?: number;
  started?: number;
  processed?: number;
  pid?: number;
}

export type JournalRecord = RunRecord | QueuedRecord | FinishedRecord;

/** Arguments larger than this are kept as their digest alone. */
export const MAX_RECORDED_ARGS_BYTES = 64 * 1024;

/** Why a journal cannot be used: the run stops (exit 2) and leaves the file as it is. */
export class JournalError extends StrmbrkrError {
  constructor(message: string) {
    super("ERR_STRMBRKR_JOURNAL", message);
  }
}

/** One record as a line of the journal. */
export function frame(record: JournalRecord): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

/** What a journal holds for a resumed run. */
export interface JournalContents extends JournalEnd {
  /** Processed results by `fn + "\0" + sha`, of the runs `reuse` accepted; the latest wins. */
  processed: Map<string, FinishedRecord>;
  /** The bundle digest of the last run record; undefined for an empty journal. */
  lastBundle?: string;
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
const HEX8 = /^[0-9a-f]{8}$/;

/** How a journal's bytes ended: what a run appending to it must know. */
export interface JournalEnd {
  /** The line number of a torn last line (cut short by a crash), to be named by the next run record. */
  torn?: number;
  /** Whether the file ends with a newline (or is empty): if not, the next write starts with one. */
  endsWithNewline: boolean;
  records: number;
}

/**
 * Checks every line of a journal's bytes and hands each record, in order, to `visit` with its
 * line number. A bad last line is torn (the crash cut the write) and skipped; a bad line anywhere
 * else throws JournalError naming it, unless the next record is a run record that says it found it
 * torn. The first record must be a run record of this format's version.
 */
export function scanJournal(bytes: Buffer, path: string, visit: (record: JournalRecord, line: number) => void): JournalEnd {
  let bad: { line: number; why: string } | undefined;
  let records = 0;
  let line = 0;
  let start = 0;
  while (start < bytes.length) {
    line++;
    const end = bytes.indexOf(NEWLINE, start);
    if (end === -1) {
      if (bad) throw corrupt(path, bad);
      return { torn: line, endsWithNewline: false, records };
    }
    const checked = checkLine(bytes, start, end);
    start = end + 1;
    if (typeof checked === "string") {
      if (bad) throw corrupt(path, bad);
      bad = { line, why: checked };
      continue;
    }
    const record = checked;
    if (bad && !(record.t === "run" && record.torn === bad.line)) throw corrupt(path, bad);
    bad = undefined;
    if (records++ === 0 && record.t !== "run")
      throw new JournalError(`journal ${path}: line ${line} is not a run record: not a strmbrkr journal; left as it is`);
    if (record.t === "run" && record.v !== JOURNAL_VERSION)
      throw new JournalError(
        `journal ${path}: line ${line} has format version ${record.v}; this strmbrkr reads version ${JOURNAL_VERSION}`,
      );
    visit(record, line);
  }
  return { torn: bad?.line, endsWithNewline: true, records };
}

/**
 * Reads a journal for a resumed run: its processed results indexed by function and arguments
 * (scanJournal's checks). `reuse` says which runs' results count (by their bundle digest),
 * decided once the bundle is known.
 */
export function readJournal(bytes: Buffer, path: string, reuse: (bundle: string) => boolean): JournalContents {
  const processed = new Map<string, FinishedRecord>();
  /** This run's queued jobs, id → key, until their finished record. */
  let keys = new Map<string, string>();
  let counted = false;
  let lastBundle: string | undefined;
  const end = scanJournal(bytes, path, (record) => {
    if (record.t === "run") {
      lastBundle = record.bundle;
      counted = reuse(record.bundle);
      keys = new Map();
    } else if (!counted) return;
    else if (record.t === "queued") keys.set(record.id, `${record.fn}\0${record.sha}`);
    else {
      const key = keys.get(record.id);
      if (key === undefined) return; // answered from an earlier run: not written again
      keys.delete(record.id);
      if (record.status === "processed" && record.value !== undefined) processed.set(key, record);
    }
  });
  return { processed, lastBundle, ...end };
}

/** The record on bytes[start, end), or why it is bad. */
function checkLine(bytes: Buffer, start: number, end: number): JournalRecord | string {
  if (end - start < 11 || bytes[start + 8] !== SPACE) return "not a `CRC32 JSON` line";
  const sum = bytes.toString("latin1", start, start + 8);
  if (!HEX8.test(sum)) return "not a `CRC32 JSON` line";
  const json = bytes.subarray(start + 9, end);
  if (crc32(json) !== Number.parseInt(sum, 16)) return "checksum mismatch";
  let record: JournalRecord;
  try {
    record = JSON.parse(json.toString("utf8")) as JournalRecord;
  } catch {
    return "not JSON";
  }
  if (typeof record !== "object" || record === null || !["run", "queued", "finished"].includes(record.t)) return "not a journal record";
  return record;
}

function corrupt(path: string, { line, why }: { line: number; why: string }): JournalError {
  return new JournalError(`journal ${path}: line ${line} is corrupt (${why}); refusing the journal, left as it is`);
}

import { crc32 } from "../util/crc32.js";
import { StrmbrkrError } from "../util/errors.js";

// A journal is lines, one record each: `<crc32 of the JSON, 8 hex digits> <JSON>\n` (docs/journal.md).
// The checksum tells a damaged line from a good one; the newline, a whole line from one cut short.

export const JOURNAL_VERSION = 2;
/** Versions this strmbrkr reads: 1 wrote a record a job, 2 adds batch records. */
const READABLE_VERSIONS = [1, 2];

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
  /** SHA-256 of the encoded arguments, hex, when they are over DIGEST_ABOVE_BYTES. */
  sha?: string;
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

/**
 * Queued jobs of one function whose arguments are their own identity (DIGEST_ABOVE_BYTES or less),
 * a line for many: `[id, args]` each. Read as a QueuedRecord per job.
 */
export interface QueuedBatch {
  t: "queued";
  fn: string;
  jobs: [id: string, args: string][];
}

/** Processed jobs whose result has every time and the pid, a line for many. Read as a FinishedRecord per job. */
export interface FinishedBatch {
  t: "finished";
  status: "processed";
  jobs: [id: string, value: string, delegated: number, started: number, processed: number, pid: number][];
}

/** What a line holds: a record, or a batch of them (version 2 on). */
type JournalLine = JournalRecord | QueuedBatch | FinishedBatch;

/** Arguments larger than this are kept as their digest alone. */
export const MAX_RECORDED_ARGS_BYTES = 64 * 1024;

/**
 * Arguments up to this size are their own identity (their base64 is no longer than a hex digest),
 * and get no digest: hashing cost a run of tiny jobs more than any other part of its records.
 */
export const DIGEST_ABOVE_BYTES = 48;

/**
 * What identifies a job across runs: its function's export name and its arguments, by their
 * base64 (DIGEST_ABOVE_BYTES or less) or their digest.
 */
export const jobKey = (fn: string, identity: string) => `${fn}\0${identity}`;

/** Why a journal cannot be used: the run stops (exit 2) and leaves the file as it is. */
export class JournalError extends StrmbrkrError {
  constructor(message: string) {
    super("ERR_STRMBRKR_JOURNAL", message);
  }
}

/**
 * A value's JSON in ASCII: JSON escapes any other character as \uXXXX, so every line is written a
 * byte a character (Latin-1, no UTF-8 encoder) and its checksum is that of its bytes
 * (journal-lines.ts writes them). It reads back the same.
 */
export const asciiJson = (value: unknown) =>
  JSON.stringify(value).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** A processed result kept to answer its job again: what of its record the job gets. */
export interface KeptResult {
  /** The encoded return value, base64. */
  value: string;
  delegated?: number;
  started?: number;
  processed?: number;
}

/** What a journal holds for a resumed run. */
export interface JournalContents extends JournalEnd {
  /** Processed results by jobKey, of the runs `reuse` accepted; the latest wins. */
  processed: Map<string, KeptResult>;
  /** The bundle digest of the last run record; undefined for an empty journal. */
  lastBundle?: string;
}

const NEWLINE = 0x0a;
const SPACE = 0x20;

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
    if (records === 0 && record.t !== "run")
      throw new JournalError(`journal ${path}: line ${line} is not a run record: not a strmbrkr journal; left as it is`);
    if (record.t === "run" && !READABLE_VERSIONS.includes(record.v))
      throw new JournalError(
        `journal ${path}: line ${line} has format version ${record.v}; this strmbrkr reads versions ${READABLE_VERSIONS.join(" and ")}`,
      );
    records += visitRecords(record, line, visit);
  }
  return { torn: bad?.line, endsWithNewline: true, records };
}

/**
 * Reads a journal for a resumed run: its processed results indexed by function and arguments
 * (scanJournal's checks). `reuse` says which runs' results count (by their bundle digest),
 * decided once the bundle is known.
 */
export function readJournal(bytes: Buffer, path: string, reuse: (bundle: string) => boolean): JournalContents {
  const processed = new Map<string, KeptResult>();
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
    else if (record.t === "queued") {
      const identity = record.sha ?? record.args;
      if (identity !== undefined) keys.set(record.id, jobKey(record.fn, identity));
    } else {
      const key = keys.get(record.id);
      if (key === undefined) return; // answered from an earlier run: not written again
      keys.delete(record.id);
      // A new object of the four fields, not the record: a million kept records cost a third more time in the collector.
      const { status, value, delegated, started, processed: at } = record;
      if (status === "processed" && value !== undefined) processed.set(key, { value, delegated, started, processed: at });
    }
  });
  return { processed, lastBundle, ...end };
}

/** Hands `visit` the line's record, or each job's record of a batch; returns how many. */
function visitRecords(line: JournalLine, number: number, visit: (record: JournalRecord, line: number) => void): number {
  if (!("jobs" in line)) {
    visit(line, number);
    return 1;
  }
  if (line.t === "queued") for (const [id, args] of line.jobs) visit({ t: "queued", id, fn: line.fn, args }, number);
  else
    for (const [id, value, delegated, started, processed, pid] of line.jobs)
      visit({ t: "finished", id, status: "processed", value, delegated, started, processed, pid }, number);
  return line.jobs.length;
}

/** The line's record (or batch) on bytes[start, end), or why it is bad. */
function checkLine(bytes: Buffer, start: number, end: number): JournalLine | string {
  if (end - start < 11 || bytes[start + 8] !== SPACE) return "not a `CRC32 JSON` line";
  const sum = hexAt(bytes, start);
  if (sum < 0) return "not a `CRC32 JSON` line";
  const json = bytes.subarray(start + 9, end);
  if (crc32(json) !== sum) return "checksum mismatch";
  let record: JournalLine;
  try {
    record = JSON.parse(json.toString("utf8")) as JournalLine;
  } catch {
    return "not JSON";
  }
  if (typeof record !== "object" || record === null || !["run", "queued", "finished"].includes(record.t)) return "not a journal record";
  if ("jobs" in record && !isBatch(record)) return "not a journal record";
  return record;
}

const JOB_FIELDS = { queued: ["string", "string"], finished: ["string", "string", "number", "number", "number", "number"] };

/** Whether a line with `jobs` is a batch record whose every job has its fields' types. */
function isBatch(line: JournalLine & { jobs: unknown }): boolean {
  if (!Array.isArray(line.jobs) || line.t === "run") return false;
  if (line.t === "queued" ? typeof line.fn !== "string" : line.status !== "processed") return false;
  const types = JOB_FIELDS[line.t];
  return line.jobs.every(
    (job: unknown) => Array.isArray(job) && job.length === types.length && job.every((field, i) => typeof field === types[i]),
  );
}

/** The 8 lower-case hex digits at bytes[start] as a number, or -1. */
function hexAt(bytes: Buffer, start: number): number {
  let n = 0;
  for (let i = start; i < start + 8; i++) {
    const c = bytes[i]!;
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (digit < 0) return -1;
    n = n * 16 + digit;
  }
  return n;
}

function corrupt(path: string, { line, why }: { line: number; why: string }): JournalError {
  return new JournalError(`journal ${path}: line ${line} is corrupt (${why}); refusing the journal, left as it is`);
}

import { hash } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fdatasync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
  type Stats,
} from "node:fs";
import { dirname, join } from "node:path";
import { type Job, jobNumber } from "../client/job.js";
import type { JobEvents, RecordedResult } from "../client/job-events.js";
import { getLogger } from "../config/logger.js";
import { safeWriteFileSync } from "../util/safe-write.js";
import { processedAtOf, startedAtOf, type JobResult } from "../wire/jobs.js";
import { encode } from "../wire/serialize.js";
import {
  DIGEST_ABOVE_BYTES,
  JOURNAL_VERSION,
  jobKey,
  JournalError,
  readJournal,
  type FinishedRecord,
  type KeptResult,
} from "./journal-format.js";
import { JournalLines } from "./journal-lines.js";

const log = getLogger("journal");

/** Records wait in memory at most this long before they are written and fsynced. */
const FLUSH_INTERVAL_MS = 100;
/** ...or until this many bytes wait, so a burst of results costs no unbounded memory. */
const FLUSH_BYTES = 1 << 20;
/** Queued jobs framed a step, between other work: a few milliseconds' worth. */
const FRAME_STEP = 2000;

/** `--resume`: reuse results of runs of the same bundle only (`same`), or of any bundle (`any`, the user vouching). */
export type ResumeMode = "same" | "any";

const sha256 = (bytes: Uint8Array) => hash("sha256", bytes, "hex");

/**
 * `strmbrkr run --journal FILE`: an append-only record of the run's jobs (docs/journal.md), and
 * with `--resume` the processed results of earlier runs, which answer the same jobs again without
 * running them. The host's JobClients tell it of every job queued and ended (JobEvents).
 */
export class Journal implements JobEvents {
  readonly path: string;
  readonly #resume?: ResumeMode;
  #fd: number;
  /** The file's bytes at open, read once the bundle is known (`begin`); resumed runs only. */
  #existing?: Buffer;
  #processed?: Map<string, KeptResult>;
  /** Records waiting to be written: made into one buffer as they come, so a flush is one write. */
  readonly #lines = new JournalLines(FLUSH_BYTES, (bytes) => this.#write(bytes));
  // Queued jobs whose records are not framed yet. A queueJobs of 100,000 jobs spent more on their
  // records than on the rest of its work, before any job could leave: they are framed a step at a
  // time as the records are written, the jobs already on their way.
  #waitingJobs: Job[] = [];
  #waitingFns: string[] = [];
  /** Their encoded arguments; undefined: short primitives, encoded when framed (a Job's args are its own copy). */
  #waitingArgs: (Buffer | undefined)[] = [];
  #framed = 0;
  /** Jobs that ended while queued ones were waiting: their records are made after those, so a job's records stay in order. */
  #later: { job: Job; result: JobResult; value: Buffer }[] = [];
  #stepping = false;
  #syncing = false;
  #syncAgain = false;
  #timer?: NodeJS.Timeout;
  #failed = false;
  #closed = false;
  /** Jobs answered from the journal in this run. */
  reused = 0;

  /**
   * Opens (creating 0600, exclusively) or, with `resume`, reopens the journal at `path`: before any
   * process starts, so a path that cannot be written stops the run with one line. Throws JournalError.
   */
  static open(path: string, resume: ResumeMode | undefined): Journal {
    const found = statOrUndefined(path);
    if (!found) return new Journal(path, resume, createJournal(path));
    refuseForeign(path, found);
    const fd = openOrRefuse(path, constants.O_RDWR | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const opened = fstatSync(fd);
      if (opened.ino !== found.ino || opened.dev !== found.dev) throw new JournalError(`journal ${path} was replaced while it was opened`);
      refuseForeign(path, opened);
      if (opened.size > 0 && !resume)
        throw new JournalError(
          `journal ${path} exists and holds records: pass --resume to reuse its results and append to it, or choose another file`,
        );
      const journal = new Journal(path, resume, fd);
      if (opened.size > 0) journal.#existing = readFileSync(fd);
      return journal;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  private constructor(path: string, resume: ResumeMode | undefined, fd: number) {
    this.path = path;
    this.#resume = resume;
    this.#fd = fd;
  }

  /**
   * The run's bundle is built: checks it against the journal's (`--resume`), indexes the earlier
   * results to reuse, keeps the bundle beside the journal and writes this run's first record.
   * Throws JournalError; nothing is written to the journal then.
   */
  begin(bundlePath: string, script: string): { reusable: number } {
    const bundleBytes = readFileSync(bundlePath);
    const bundle = sha256(bundleBytes);
    let torn: number | undefined;
    let newline = "";
    if (this.#existing) {
      const any = this.#resume === "any";
      const contents = readJournal(this.#existing, this.path, (recorded) => any || recorded === bundle);
      this.#existing = undefined;
      if (!any && contents.lastBundle !== undefined && contents.lastBundle !== bundle)
        throw new JournalError(
          `journal ${this.path} was written by bundle ${contents.lastBundle}, this run's is ${bundle}: the script changed; --resume=any reuses its results anyway, by function name and arguments`,
        );
      this.#processed = contents.processed;
      torn = contents.torn;
      if (!contents.endsWithNewline) newline = "\n"; // the torn line ends here, and this run's records start on their own
    }
    this.#keepBundle(bundle, bundleBytes);
    // Written and fsynced now: a journal that cannot take it (a full disk) stops the run at its start.
    try {
      if (newline) writeAll(this.#fd, Buffer.from(newline));
      const first = new JournalLines(1024, (bytes) => writeAll(this.#fd, bytes));
      first.record({ t: "run", v: JOURNAL_VERSION, at: Date.now(), bundle, script, ...(torn ? { torn } : {}) });
      first.flush();
      fsyncSync(this.#fd);
    } catch (error) {
      throw cannot("write", this.path, error);
    }
    this.#timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS).unref();
    // Every way out of the process but SIGKILL passes here: main's end, Ctrl-C's process.exit, an uncaught error.
    process.once("exit", () => this.close());
    return { reusable: this.#processed?.size ?? 0 };
  }

  /** `FILE.bundles/<sha256>.mjs`: what ran, so the journal alone says it. */
  #keepBundle(digest: string, bytes: Buffer): void {
    const dir = `${this.path}.bundles`;
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw cannot("create", dir, error);
      const info = lstatSync(dir);
      if (!info.isDirectory()) throw new JournalError(`journal bundles folder ${dir} is not a folder: refusing it`);
      refuseForeign(dir, info, "journal bundles folder");
    }
    const file = join(dir, `${digest}.mjs`);
    const kept = statOrUndefined(file);
    if (kept) {
      refuseForeign(file, kept, "journal bundle");
      if (sha256(readFileSync(file)) === digest) return;
    }
    try {
      safeWriteFileSync(file, bytes, { fsync: true });
    } catch (error) {
      throw cannot("write", file, error);
    }
  }

  queued(job: Job, fn: string, args: Buffer | undefined): RecordedResult | undefined {
    if (this.#processed) {
      args ??= encode(job.args);
      const recorded = this.#processed.get(jobKey(fn, identityOf(args)));
      if (recorded) {
        this.reused++;
        const { value, delegated, started, processed } = recorded;
        return { value: Buffer.from(value, "base64"), delegatedAt: delegated, startedAt: started, processedAt: processed };
      }
    }
    if (this.#failed || this.#closed) return undefined;
    this.#waitingJobs.push(job);
    this.#waitingFns.push(fn);
    this.#waitingArgs.push(args);
    return undefined;
  }

  /** Frames up to `most` waiting queued records, then, once none waits, the finished ones that came meanwhile. */
  #frameWaiting(most: number): void {
    const end = Math.min(this.#waitingJobs.length, this.#framed + most);
    for (let i = this.#framed; i < end; i++) {
      const job = this.#waitingJobs[i]!;
      this.#lines.queued(jobNumber(job), this.#waitingFns[i]!, this.#waitingArgs[i] ?? lateArgs(job.args));
    }
    this.#framed = end;
    if (end < this.#waitingJobs.length) return;
    this.#waitingJobs = [];
    this.#waitingFns = [];
    this.#waitingArgs = [];
    this.#framed = 0;
    for (const { job, result, value } of this.#later) this.#frameEnded(job, result, value);
    this.#later = [];
  }

  ended(job: Job, result: JobResult, value: Buffer): void {
    if (this.#failed || this.#closed) return;
    if (this.#waitingJobs.length > 0) this.#later.push({ job, result, value });
    else this.#frameEnded(job, result, value);
  }

  #frameEnded(job: Job, result: JobResult, value: Buffer): void {
    if (result.ok) this.#lines.processed(jobNumber(job), value, result);
    else this.#lines.record(failedRecord(job, result, value));
  }

  /**
   * Frames a step of the waiting queued records and writes what waits (synchronously, so records
   * land in order and whole before the process can exit), then fsyncs in the background: a crash
   * of the process loses nothing written, one of the machine at most what was not yet fsynced.
   * More waiting: the next step after pending I/O (results) has had its turn.
   */
  flush(): void {
    if (this.#failed) return;
    this.#frameWaiting(FRAME_STEP);
    this.#lines.flush();
    if (this.#waitingJobs.length > 0 && !this.#stepping) {
      this.#stepping = true;
      setImmediate(() => {
        this.#stepping = false;
        if (!this.#closed) this.flush();
      });
    }
  }

  #write(bytes: Buffer): void {
    if (this.#failed) return;
    try {
      writeAll(this.#fd, bytes);
    } catch (error) {
      this.#failed = true;
      log.error(
        `journal ${this.path} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): no more records are kept`,
      );
      return;
    }
    this.#sync();
  }

  #sync(): void {
    if (this.#syncing) {
      this.#syncAgain = true;
      return;
    }
    this.#syncing = true;
    fdatasync(this.#fd, () => {
      this.#syncing = false;
      if (this.#syncAgain && !this.#closed) {
        this.#syncAgain = false;
        this.#sync();
      }
    });
  }

  /** Writes and fsyncs what waits, and closes the file: at exit. */
  close(): void {
    if (this.#closed) return;
    clearInterval(this.#timer);
    if (!this.#failed) this.#frameWaiting(Number.POSITIVE_INFINITY);
    this.flush();
    this.#closed = true;
    try {
      if (!this.#failed) fsyncSync(this.#fd);
    } finally {
      closeSync(this.#fd);
    }
  }
}

/** What identifies these arguments across runs: their base64 up to DIGEST_ABOVE_BYTES, else their digest. */
const identityOf = (args: Buffer) => digestOf(args) ?? args.toString("base64");
const digestOf = (args: Buffer) => (args.length > DIGEST_ABOVE_BYTES ? sha256(args) : undefined);

/**
 * Arguments the JobClient left to encode as they leave (short JSON-exact primitives: `encode` is
 * their JSON as UTF-8): their JSON when it is ASCII (its bytes are its characters), else its bytes.
 */
function lateArgs(args: readonly unknown[]): Buffer | string {
  const json = JSON.stringify(args);
  return /^[\x00-\x7f]*$/.test(json) ? json : encode(args);
}

function failedRecord(job: Job, result: JobResult, value: Buffer): FinishedRecord {
  const { name, message, stack, code } = result.error ?? { name: "Error", message: "failed without an error" };
  const record: FinishedRecord = { t: "finished", id: job.id, status: "failed", error: { name, message, stack, code } };
  if (value.length > 0) record.thrown = value.toString("base64");
  if (result.delegatedAt !== undefined) record.delegated = result.delegatedAt;
  const startedAt = startedAtOf(result);
  const processedAt = processedAtOf(result);
  if (startedAt !== undefined) record.started = startedAt;
  if (processedAt !== undefined) record.processed = processedAt;
  if (result.workerPid !== undefined) record.pid = result.workerPid;
  return record;
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
}

/** A new journal: created exclusively, never through a symlink, 0600 from its creation on. */
function createJournal(path: string): number {
  const fd = openOrRefuse(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW);
  fchmodSync(fd, 0o600);
  return fd;
}

function openOrRefuse(path: string, flags: number): number {
  try {
    return openSync(path, flags, 0o600);
  } catch (error) {
    throw cannot("open", path, error);
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw cannot("read", path, error);
  }
}

const PARTICIPLES = { open: "opened", create: "created", read: "read", write: "written" } as const;

function cannot(what: keyof typeof PARTICIPLES, path: string, error: unknown): JournalError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  const where = code === "ENOENT" || code === "EACCES" || code === "EROFS" ? ` in ${dirname(path)}` : "";
  return new JournalError(`journal ${path} cannot be ${PARTICIPLES[what]} (${code}${where})`);
}

/**
 * As KVS snapshots (runtime/kvs/snapshot.ts): a journal's results are fed to the run as if its jobs
 * had returned them, and `strmbrkr replay` runs a kept bundle's code, so a file another user could
 * have written is refused: it must be the user's own regular file (no symlink), writable by nobody
 * else. `what` names it in the JournalError thrown.
 */
export function refuseForeign(path: string, info: Stats, what = "journal"): void {
  if (what !== "journal bundles folder" && !info.isFile())
    throw new JournalError(
      `${what} ${path} is not a regular file${info.isSymbolicLink() ? " (a symlink: name the file itself)" : ""}: refusing it`,
    );
  const uid = process.getuid?.();
  if (uid === undefined) return; // Windows: no owners to compare
  if (info.uid !== uid) throw new JournalError(`${what} ${path} is owned by uid ${info.uid}, not by you (uid ${uid}): refusing it`);
  if (info.mode & 0o022) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    throw new JournalError(`${what} ${path} is writable by others (mode ${mode}): refusing it; chmod go-w it if it is yours`);
  }
}

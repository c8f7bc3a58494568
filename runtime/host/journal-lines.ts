import { hash } from "node:crypto";
import { JOB_ID_PREFIX } from "../client/job.js";
import { crc32Range } from "../util/crc32.js";
import { processedAtOf, startedAtOf, type JobResult } from "../wire/jobs.js";
import { asciiJson, DIGEST_ABOVE_BYTES, type JournalRecord, MAX_RECORDED_ARGS_BYTES } from "./journal-format.js";

const BASE64 = Uint8Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", (char) => char.charCodeAt(0));
const HEX = Uint8Array.from("0123456789abcdef", (char) => char.charCodeAt(0));
/** "00" to "99", two bytes each. */
const DIGIT_PAIRS = Uint8Array.from(Array.from({ length: 100 }, (_, n) => String(n).padStart(2, "0")).join(""), (char) =>
  char.charCodeAt(0),
);
const EQUALS = 0x3d;
const SPACE = 0x20;
const NEWLINE = 0x0a;
/** Up to this many bytes or characters, a loop here costs less than a call into Node's C++. */
const SHORT = 64;
/** A number's characters in JSON at most (`-1.2345678901234567e-308`). */
const NUMBER_CHARS = 24;
/** Return values up to this size go in batch records; longer ones are a record each. */
const BATCHED_VALUE_BYTES = 1024;

/** A job id's characters at most: the prefix and a safe integer. */
const ID_CHARS = JOB_ID_PREFIX.length + 16;
/** Jobs a batch record holds at most: a line a torn write can cut stays short. */
const BATCH_JOBS = 1000;

/**
 * The journal's lines as they wait to be written: each record made straight into one buffer as
 * `<crc32 of the JSON, 8 hex digits> <JSON>\n` (journal-format.ts), in ASCII, with no string per
 * line. Jobs come in batch records where they can (journal-format.ts, QueuedBatch and
 * FinishedBatch: a few dozen bytes a job, written field by field), the rest one record each. When
 * a line would not fit, the lines before it are handed to `write` first (synchronously: the buffer
 * is reused); a line longer than the whole buffer gets a buffer of its own.
 */
export class JournalLines {
  readonly #capacity: number;
  readonly #write: (bytes: Buffer) => void;
  #buffer: Buffer;
  #size = 0;
  /** Where the line being made starts. */
  #start = 0;
  /** The header of the batch record left open for more jobs, if any: a function's queued jobs, or processed ones. */
  #batch?: string;
  #batchJobs = 0;
  /** A short string's bytes, for its base64. */
  readonly #scratch = Buffer.allocUnsafe(SHORT);

  constructor(capacity: number, write: (bytes: Buffer) => void) {
    this.#capacity = capacity;
    this.#write = write;
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  /** Hands what waits to `write`. */
  flush(): void {
    this.#closeBatch();
    if (this.#size === 0) return;
    const bytes = this.#buffer.subarray(0, this.#size);
    this.#size = 0;
    this.#write(bytes);
    if (this.#buffer.length > this.#capacity) this.#buffer = Buffer.allocUnsafe(this.#capacity); // a long line's own
  }

  /**
   * A queued job, by its number (its id is JOB_ID_PREFIX and the number: written as digits, no
   * string made): `args` are its encoded arguments, or their JSON when it is ASCII (its bytes are its characters).
   */
  queued(job: number, fn: string, args: Buffer | string): void {
    const { name, batchHeader } = namesOf(fn);
    if (args.length <= DIGEST_ABOVE_BYTES) {
      this.#entry(batchHeader, 8 + base64Length(args.length), job);
      this.#base64(args);
      this.#ascii('"]');
      return;
    }
    this.#closeBatch();
    const sha = hash("sha256", args, "hex");
    const kept = args.length <= MAX_RECORDED_ARGS_BYTES;
    this.#begin(60 + ID_CHARS + name.length + sha.length + (kept ? base64Length(args.length) : 0));
    this.#ascii('{"t":"queued","id":"');
    this.#id(job);
    this.#ascii('","fn":');
    this.#ascii(name);
    this.#ascii(',"sha":"');
    this.#ascii(sha);
    this.#ascii('"');
    if (kept) {
      this.#ascii(',"args":"');
      this.#base64(args);
      this.#ascii('"');
    }
    this.#ascii("}");
    this.#end();
  }

  /** A processed job, by its number (as `queued`): `value` is its encoded return value; the result's times and pid when known. */
  processed(job: number, value: Buffer, result: JobResult): void {
    const { delegatedAt, workerPid } = result;
    const startedAt = startedAtOf(result);
    const processedAt = processedAtOf(result);
    if (value.length <= BATCHED_VALUE_BYTES && isCount(delegatedAt) && isCount(startedAt) && isCount(processedAt) && isCount(workerPid)) {
      this.#entry(FINISHED_BATCH, 10 + base64Length(value.length) + 4 * NUMBER_CHARS, job);
      this.#base64(value);
      this.#ascii('",');
      this.#integer(delegatedAt);
      this.#ascii(",");
      this.#integer(startedAt);
      this.#ascii(",");
      this.#integer(processedAt);
      this.#ascii(",");
      this.#integer(workerPid);
      this.#ascii("]");
      return;
    }
    this.#closeBatch();
    this.#begin(120 + ID_CHARS + base64Length(value.length) + 4 * NUMBER_CHARS);
    this.#ascii('{"t":"finished","id":"');
    this.#id(job);
    this.#ascii('","status":"processed","value":"');
    this.#base64(value);
    this.#ascii('"');
    if (delegatedAt !== undefined) this.#number(',"delegated":', delegatedAt);
    if (startedAt !== undefined) this.#number(',"started":', startedAt);
    if (processedAt !== undefined) this.#number(',"processed":', processedAt);
    if (workerPid !== undefined) this.#number(',"pid":', workerPid);
    this.#ascii("}");
    this.#end();
  }

  /** Any record, through JSON.stringify (the run's first, a failure). */
  record(record: JournalRecord): void {
    this.#closeBatch();
    const json = asciiJson(record);
    this.#begin(json.length + 10);
    this.#ascii(json);
    this.#end();
  }

  /**
   * Starts a job's entry, `["<id>","`, in the open batch that `header` began, or in a new one (the
   * open batch is another, full, or the buffer has no room for the entry's `entryBytes` besides its id).
   */
  #entry(header: string, entryBytes: number, job: number): void {
    const bytes = entryBytes + ID_CHARS;
    if (this.#batch !== header || this.#batchJobs === BATCH_JOBS || this.#size + bytes + 3 > this.#buffer.length) {
      this.#closeBatch();
      this.#begin(header.length + bytes + 3);
      this.#ascii(header);
      this.#batch = header;
    }
    this.#ascii(this.#batchJobs++ === 0 ? '["' : ',["');
    this.#id(job);
    this.#ascii('","');
  }

  #closeBatch(): void {
    if (this.#batch === undefined) return;
    this.#ascii("]}");
    this.#end();
    this.#batch = undefined;
    this.#batchJobs = 0;
  }

  /** Starts a line of at most `maxBytes`, its checksum and newline included. */
  #begin(maxBytes: number): void {
    if (this.#size + maxBytes + 10 > this.#buffer.length) {
      this.flush();
      if (maxBytes + 10 > this.#buffer.length) this.#buffer = Buffer.allocUnsafe(maxBytes + 10);
    }
    this.#start = this.#size;
    this.#size += 9; // the checksum and its space, once the JSON is known
  }

  #end(): void {
    const buffer = this.#buffer;
    let crc = crc32Range(buffer, this.#start + 9, this.#size);
    for (let i = this.#start + 7; i >= this.#start; i--) {
      buffer[i] = HEX[crc & 0xf]!;
      crc >>>= 4;
    }
    buffer[this.#start + 8] = SPACE;
    buffer[this.#size++] = NEWLINE;
  }

  /** Text the caller knows to be ASCII. */
  #ascii(text: string): void {
    if (text.length > SHORT) {
      this.#size += this.#buffer.write(text, this.#size, "latin1");
      return;
    }
    const buffer = this.#buffer;
    let at = this.#size;
    for (let i = 0; i < text.length; i++) buffer[at++] = text.charCodeAt(i);
    this.#size = at;
  }

  #id(job: number): void {
    this.#ascii(JOB_ID_PREFIX);
    this.#integer(job);
  }

  /** `,"name":<n>` as JSON writes a finite number. */
  #number(name: string, n: number): void {
    this.#ascii(name);
    if (Number.isSafeInteger(n) && n >= 0) this.#integer(n);
    else this.#ascii(String(n));
  }

  /** A safe non-negative integer's digits: eight at a time in 32-bit arithmetic, which is several times cheaper than a double's. */
  #integer(n: number): void {
    const high = Math.floor(n / 1e8);
    const low = (n - high * 1e8) | 0;
    if (high > 0) {
      this.#integer(high);
      this.#digits(low, 8);
    } else {
      let width = 1;
      for (let rest = low; rest >= 10; rest = (rest / 10) | 0) width++;
      this.#digits(low, width);
    }
  }

  /** `n` (< 1e8) in `width` digits, zero-padded: two at a time. */
  #digits(n: number, width: number): void {
    const buffer = this.#buffer;
    let i = this.#size + width - 1;
    let rest = n | 0;
    for (; i > this.#size; i -= 2, rest = (rest / 100) | 0) {
      const pair = 2 * (rest % 100);
      buffer[i] = DIGIT_PAIRS[pair + 1]!;
      buffer[i - 1] = DIGIT_PAIRS[pair]!;
    }
    if (i === this.#size) buffer[i] = 0x30 + (rest % 10);
    this.#size += width;
  }

  /** The base64 of `data` (a string: its character codes, ASCII). */
  #base64(data: Buffer | string): void {
    if (typeof data === "string") {
      if (data.length > SHORT) this.#base64(Buffer.from(data, "latin1"));
      else this.#base64Short(this.#scratch, this.#scratch.write(data, 0, "latin1"));
    } else if (data.length > SHORT) this.#size += this.#buffer.write(data.toString("base64"), this.#size, "latin1");
    else this.#base64Short(data, data.length);
  }

  #base64Short(bytes: Buffer, length: number): void {
    const buffer = this.#buffer;
    let out = this.#size;
    let i = 0;
    for (; i + 3 <= length; i += 3) {
      const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
      buffer[out++] = BASE64[n >>> 18]!;
      buffer[out++] = BASE64[(n >>> 12) & 63]!;
      buffer[out++] = BASE64[(n >>> 6) & 63]!;
      buffer[out++] = BASE64[n & 63]!;
    }
    if (i < length) {
      const two = i + 1 < length;
      const n = (bytes[i]! << 16) | (two ? bytes[i + 1]! << 8 : 0);
      buffer[out++] = BASE64[n >>> 18]!;
      buffer[out++] = BASE64[(n >>> 12) & 63]!;
      buffer[out++] = two ? BASE64[(n >>> 6) & 63]! : EQUALS;
      buffer[out++] = EQUALS;
    }
    this.#size = out;
  }
}

const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);
const isCount = (n: number | undefined): n is number => n !== undefined && Number.isSafeInteger(n) && n >= 0;

const FINISHED_BATCH = '{"t":"finished","status":"processed","jobs":[';

// Only a function's name could hold characters to escape (ids are `<pid>-<n>`, digests hex,
// payloads base64): its JSON, and the header of a batch of its queued jobs, are made once.
const names = new Map<string, { name: string; batchHeader: string }>();
function namesOf(fn: string): { name: string; batchHeader: string } {
  let known = names.get(fn);
  if (known === undefined) {
    const name = asciiJson(fn);
    names.set(fn, (known = { name, batchHeader: `{"t":"queued","fn":${name},"jobs":[` }));
  }
  return known;
}

/**
 * `--journal FILE` and `--resume` through the built CLI, as a user runs them: a run killed half-way
 * (the host alone, or its whole process group; with a torn last record or not) and resumed runs
 * exactly the jobs the journal holds no finished result for, and prints what an uninterrupted run
 * prints. A corrupt journal, one written by another script, one reused without --resume, or one
 * that cannot be created stops the run with one line (exit 2) and is left as it is.
 */
import t from "tap";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  appendFileSync,
  mkdirSync,
} from "node:fs";
import { join } from "node:path";
import { scanJournal, type JournalRecord } from "../runtime/host/journal-format.js";
import { JournalLines } from "../runtime/host/journal-lines.js";
import { jobIdOf, jobNumberOf } from "../runtime/client/job.js";
import type { JobResult } from "../runtime/wire/jobs.js";
import { BIN, fixture, killInstance, lastJson, newInstanceId, processesGone, strmbrkr, strmbrkrWatched, ROOT } from "./lib/cli.js";
import { frameLine, journalRecords } from "./lib/journal.js";
import { scratchDir } from "./lib/kvs-helpers.js";

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

// 500 jobs of 2 ms on two workers take ~2 s; the kill comes after a quarter, leaving ~1.5 s of work
// unfinished, far more than the 20 ms between the test's looks at the journal.
const JOBS = 500;
/** The run is SIGKILLed once this many jobs are journaled finished. */
const KILL_AT = 125;
const CRASH = fixture("journal-crash.ts");

/** What an uninterrupted run prints: work(n) = n² + 1 for every n. */
const expected = {
  count: JOBS,
  statuses: ["processed"],
  checksum: createHash("sha256")
    .update(
      Array.from({ length: JOBS }, (_, n) => n * n + 1)
        .sort((a, b) => a - b)
        .join(","),
    )
    .digest("hex"),
};

/** The arguments n of the jobs with a durable processed record. */
function finishedArgs(path: string): Set<number> {
  const argsById = new Map<string, number>();
  const done = new Set<number>();
  for (const record of journalRecords(path)) {
    if (record.t === "queued") argsById.set(record.id, JSON.parse(Buffer.from(record.args, "base64").toString())[0]);
    else if (record.t === "finished" && record.status === "processed") done.add(argsById.get(record.id)!);
  }
  return done;
}

const linesOf = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean).map(Number) : []);

/** Starts a run of the crash fixture with --journal in its own process group, and SIGKILLs it once ≥ KILL_AT jobs are journaled finished. */
async function runAndCrash(journal: string, sideEffects: string, { group }: { group: boolean }): Promise<string> {
  const instanceId = newInstanceId();
  const child = spawn(process.execPath, [BIN, "run", CRASH, "--workers", "2", "--no-progress", "--journal", journal, "--", String(JOBS)], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, STRMBRKR_INSTANCE_ID: instanceId, JOURNAL_SIDE_EFFECTS: sideEffects },
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      // Waits on the journal's growth, read as the user could: each look is a fresh read of the file.
      const finished = existsSync(journal) ? journalRecords(journal).filter((r) => r.t === "finished").length : 0;
      if (finished >= KILL_AT) break;
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`the run ended or stalled before ${KILL_AT} jobs finished (${finished}); stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (group) process.kill(-child.pid!, "SIGKILL");
    else child.kill("SIGKILL");
    await exited;
    const left = await processesGone(instanceId, 15_000);
    if (left.length > 0) throw new Error(`processes of the killed run are left: ${left.join(", ")}`);
  } finally {
    killInstance(instanceId);
  }
  return stderr;
}

async function crashAndResume(t: Test, { group, tear }: { group: boolean; tear: boolean }) {
  const dir = scratchDir(t, "strmbrkr-journal-test-");
  const journal = join(dir, "run.journal");
  const phase1 = join(dir, "phase1.txt");
  const phase2 = join(dir, "phase2.txt");
  await runAndCrash(journal, phase1, { group });
  const durable = finishedArgs(journal);
  t.ok(durable.size >= KILL_AT && durable.size < JOBS, `the crash left ${durable.size} durable finished records of ${JOBS}`);
  if (tear) appendFileSync(journal, `0badf00d {"t":"finished","id":"1-1","status":"proc`); // half a record, as a cut write leaves it

  const resumed = await strmbrkr(["run", CRASH, "--workers", "2", "--no-progress", "--journal", journal, "--resume", "--", String(JOBS)], {
    env: { JOURNAL_SIDE_EFFECTS: phase2 },
    timeoutMs: 90_000,
  });
  t.equal(resumed.code, 0, "the resumed run exits 0", { stderr: resumed.stderr });
  t.same(lastJson(resumed.stdout), expected, "main prints what an uninterrupted run prints");
  t.match(resumed.stderr, `resuming from ${journal}: ${durable.size} processed results recorded`);
  const ran = linesOf(phase2);
  const reran = ran.filter((n) => durable.has(n));
  t.same(reran, [], "no job with a durable finished record ran again");
  const counts = new Map<number, number>();
  for (const n of ran) counts.set(n, (counts.get(n) ?? 0) + 1);
  const wrong = Array.from({ length: JOBS }, (_, n) => n).filter((n) => !durable.has(n) && counts.get(n) !== 1);
  t.same(wrong, [], `every other job ran exactly once (${ran.length} ran)`);
  t.same(await processesGone(resumed.instanceId), [], "no process of the run is left");

  // Once more: everything is answered from the journal (a torn line is now in the middle, named by the run record after it).
  const again = await strmbrkr(["run", CRASH, "--workers", "2", "--no-progress", "--journal", journal, "--resume", "--", String(JOBS)], {
    env: { JOURNAL_SIDE_EFFECTS: join(dir, "phase3.txt") },
    timeoutMs: 60_000,
  });
  t.equal(again.code, 0, "a third run resumes the same journal", { stderr: again.stderr });
  t.same(lastJson(again.stdout), expected, "with the same results");
  t.same(linesOf(join(dir, "phase3.txt")), [], "and runs no job at all");
}

t.test("the records the host writes: JSON.stringify's, in ASCII, jobs in batch records where they fit", async (t) => {
  const written: Buffer[] = [];
  const lines = new JournalLines(4096, (bytes) => written.push(Buffer.from(bytes)));
  const times = { ok: true, delegatedAt: 1796188882157, startedMs: 47, processedMs: 0, workerPid: 19621 };
  const result = (fields: Partial<JobResult>) => ({ ...times, ...fields }) as JobResult;
  const bigArgs = Buffer.from(JSON.stringify(["x".repeat(60)]));
  const bigValue = Buffer.alloc(5000, "v"); // its line is longer than the buffer
  const run = { t: "run", v: 2, at: 1, bundle: "b", script: "s" } as const;
  lines.record(run);
  lines.queued(1, "größe", "[1]");
  lines.queued(2, "größe", Buffer.from("[2]"));
  lines.queued(3, 'a"b\\c', "[3]"); // another function: a batch of its own
  lines.queued(4, 'a"b\\c', bigArgs); // over 48 bytes: a record of its own, with its digest
  lines.processed(1, Buffer.from("1"), result({}));
  lines.processed(2, Buffer.from("4"), result({ workerPid: 19622 }));
  lines.processed(3, Buffer.from("9"), result({ startedMs: undefined })); // times unknown: a record of its own
  lines.processed(4, bigValue, result({})); // a long value: a record of its own
  const failed: JournalRecord = {
    t: "finished",
    id: jobIdOf(5),
    status: "failed",
    error: { name: "RangeError", message: "Größe ≠ 名前 \u{1f600}", stack: "RangeError: Größe\n    at f (/tmp/ü.ts:1:1)" },
  };
  lines.record(failed);
  lines.flush();
  const sha = createHash("sha256").update(bigArgs).digest("hex");
  const expected = [
    run,
    {
      t: "queued",
      fn: "größe",
      jobs: [
        [jobIdOf(1), "WzFd"],
        [jobIdOf(2), "WzJd"],
      ],
    },
    { t: "queued", fn: 'a"b\\c', jobs: [[jobIdOf(3), "WzNd"]] },
    { t: "queued", id: jobIdOf(4), fn: 'a"b\\c', sha, args: bigArgs.toString("base64") },
    {
      t: "finished",
      status: "processed",
      jobs: [
        [jobIdOf(1), "MQ==", 1796188882157, 1796188882204, 1796188882204, 19621],
        [jobIdOf(2), "NA==", 1796188882157, 1796188882204, 1796188882204, 19622],
      ],
    },
    { t: "finished", id: jobIdOf(3), status: "processed", value: "OQ==", delegated: 1796188882157, pid: 19621 },
    {
      t: "finished",
      id: jobIdOf(4),
      status: "processed",
      value: bigValue.toString("base64"),
      ...{ delegated: 1796188882157, started: 1796188882204, processed: 1796188882204, pid: 19621 },
    },
    failed,
  ];
  const text = Buffer.concat(written).toString("latin1");
  t.match(text, /^[\x20-\x7e\n]*$/, "every line is ASCII");
  t.equal(text, expected.map(frameLine).join(""), "each line as JSON.stringify and the format's checksum make it");
  t.ok(written.length >= 2, `a line longer than the buffer went on its own (${written.length} writes)`);
  const read: JournalRecord[] = [];
  t.same(
    scanJournal(Buffer.from(text), "j", (record) => read.push(record)),
    { torn: undefined, endsWithNewline: true, records: 10 },
  );
  t.same(
    read.map((record) => (record.t === "run" ? "run" : `${record.t} ${jobNumberOf(record.id)}`)),
    ["run", "queued 1", "queued 2", "queued 3", "queued 4", "finished 1", "finished 2", "finished 3", "finished 4", "finished 5"],
    "a batch reads as a record per job, in order",
  );
  t.same(read[1], { t: "queued", id: jobIdOf(1), fn: "größe", args: "WzFd" });
  t.same(read[6], {
    t: "finished",
    id: jobIdOf(2),
    status: "processed",
    value: "NA==",
    delegated: 1796188882157,
    started: 1796188882204,
    processed: 1796188882204,
    pid: 19622,
  });
});

t.test("a batch record holds at most 1,000 jobs; a bad job in one refuses the journal", async (t) => {
  const written: Buffer[] = [];
  const lines = new JournalLines(1 << 20, (bytes) => written.push(Buffer.from(bytes)));
  lines.record({ t: "run", v: 2, at: 1, bundle: "b", script: "s" });
  for (let i = 1; i <= 2500; i++) lines.queued(i, "f", `[${i}]`);
  lines.flush();
  const text = Buffer.concat(written).toString("latin1");
  t.same(
    text
      .split("\n")
      .slice(1, -1)
      .map((line) => JSON.parse(line.slice(9)).jobs.length),
    [1000, 1000, 500],
  );
  let queued = 0;
  scanJournal(Buffer.from(text), "j", (record) => void (record.t === "queued" && queued++));
  t.equal(queued, 2500, "every job read back");
  for (const bad of [
    { t: "queued", fn: "f", jobs: [["42-1", 7]] },
    { t: "queued", jobs: [["42-1", "WzFd"]] },
    { t: "finished", status: "processed", jobs: [["42-1", "MQ==", 1, 2, 3]] },
    { t: "finished", status: "failed", jobs: [["42-1", "MQ==", 1, 2, 3, 4]] },
    { t: "queued", fn: "f", jobs: "42-1" },
  ]) {
    const journal = Buffer.from(
      [{ t: "run", v: 2, at: 1, bundle: "b", script: "s" }, bad, { t: "queued", id: "42-2", fn: "f", sha: "0" }].map(frameLine).join(""),
    );
    t.throws(
      () => scanJournal(journal, "j", () => {}),
      { message: "journal j: line 2 is corrupt (not a journal record); refusing the journal, left as it is" },
      JSON.stringify(bad),
    );
  }
  const future = Buffer.from(frameLine({ t: "run", v: 3, at: 1, bundle: "b", script: "s" }));
  t.throws(() => scanJournal(future, "j", () => {}), {
    message: "journal j: line 1 has format version 3; this strmbrkr reads versions 1 and 2",
  });
});

t.test("the host SIGKILLed half-way: --resume runs only the jobs with no durable result", { timeout: 240_000 }, (t) =>
  crashAndResume(t, { group: false, tear: false }),
);
t.test("the whole process group SIGKILLed half-way", { timeout: 240_000 }, (t) => crashAndResume(t, { group: true, tear: false }));
t.test("a torn last record after the crash is ignored", { timeout: 240_000 }, (t) => crashAndResume(t, { group: true, tear: true }));

const square = (journal: string, ...flags: string[]) =>
  strmbrkr(["run", fixture("cli-square.ts"), "--workers", "1", "--no-progress", "--journal", journal, ...flags, "--", "5"], {
    timeoutMs: 30_000,
  });

t.test("the journal and its bundle are 0600, the bundles folder 0700; a record per event", { timeout: 60_000 }, async (t) => {
  const dir = scratchDir(t, "strmbrkr-journal-test-");
  const journal = join(dir, "j");
  const first = await square(journal);
  t.equal(first.code, 0, "the run exits 0", { stderr: first.stderr });
  t.equal(statSync(journal).mode & 0o777, 0o600, "the journal is 0600");
  const bundles = `${journal}.bundles`;
  t.equal(statSync(bundles).mode & 0o777, 0o700, "its bundles folder is 0700");
  const [kept] = readdirSync(bundles);
  t.equal(statSync(join(bundles, kept!)).mode & 0o777, 0o600, "the bundle is 0600");
  const all = journalRecords(journal);
  t.equal(all[0].t, "run", "the first record is the run's");
  t.equal(kept, `${all[0].bundle}.mjs`, "the bundle is kept under its digest");
  t.equal(
    createHash("sha256")
      .update(readFileSync(join(bundles, kept!)))
      .digest("hex"),
    all[0].bundle,
    "which is its content's SHA-256",
  );
  t.equal(all.filter((r) => r.t === "queued").length, 5, "a queued record per job");
  t.same(
    all
      .filter((r) => r.t === "finished")
      .map((r) => JSON.parse(Buffer.from(r.value, "base64").toString()))
      .sort((a, b) => a - b),
    [1, 4, 9, 16, 25],
    "a finished record per job, with its encoded value",
  );
});

t.test("a corrupt record in the middle: refused with one line, exit 2, the file unchanged", { timeout: 60_000 }, async (t) => {
  const dir = scratchDir(t, "strmbrkr-journal-test-");
  const journal = join(dir, "j");
  t.equal((await square(journal)).code, 0);
  const lines = readFileSync(journal, "utf8").split("\n");
  lines[1] = lines[1]!.replace('"fn":"square"', '"fn":"squarf"'); // one bit of difference, the checksum unchanged
  writeFileSync(journal, lines.join("\n"));
  const before = readFileSync(journal);
  const refused = await strmbrkrWatched(["run", fixture("cli-square.ts"), "--workers", "1", "--journal", journal, "--resume", "--", "5"]);
  t.equal(refused.code, 2, "exit 2");
  t.equal(refused.stderr, `strmbrkr: journal ${journal}: line 2 is corrupt (checksum mismatch); refusing the journal, left as it is\n`);
  t.ok(readFileSync(journal).equals(before), "the journal is unchanged, byte for byte");
  t.same(refused.started, [], "no broker, store or worker started");
});

t.test("--resume after the script changed: refused naming both bundles; --resume=any reuses", { timeout: 90_000 }, async (t) => {
  const dir = scratchDir(t, "strmbrkr-journal-test-");
  const script = join(dir, "square.ts");
  copyFileSync(fixture("cli-square.ts"), script);
  const journal = join(dir, "j");
  const run = (...flags: string[]) =>
    strmbrkr(["run", script, "--workers", "1", "--no-progress", "--journal", journal, ...flags, "--", "5"], { timeoutMs: 30_000 });
  t.equal((await run()).code, 0);
  const oldBundle = journalRecords(journal)[0].bundle;
  appendFileSync(script, "\nexport const changed = 1;\n");
  const before = readFileSync(journal);
  const refused = await run("--resume");
  t.equal(refused.code, 2, "exit 2");
  const lines = refused.stderr.trim().split("\n");
  t.equal(lines.length, 1, "one line");
  t.match(
    lines[0],
    new RegExp(`journal ${journal} was written by bundle ${oldBundle}, this run's is [0-9a-f]{64}: the script changed; --resume=any`),
  );
  t.ok(readFileSync(journal).equals(before), "the journal is unchanged");
  const any = await run("--resume=any");
  t.equal(any.code, 0, "--resume=any runs", { stderr: any.stderr });
  t.match(any.stderr, "5 processed results recorded");
  t.same(lastJson(any.stdout).squares, [1, 4, 9, 16, 25]);
  t.equal(journalRecords(journal).filter((r) => r.t === "queued").length, 5, "no job was queued to run again: all came from the journal");
});

t.test(
  "an existing journal without --resume, and paths that cannot be written: one line, exit 2, nothing started",
  { timeout: 60_000 },
  async (t) => {
    const dir = scratchDir(t, "strmbrkr-journal-test-");
    const journal = join(dir, "j");
    t.equal((await square(journal)).code, 0);
    const before = readFileSync(journal);
    const again = await strmbrkrWatched(["run", fixture("cli-square.ts"), "--workers", "1", "--journal", journal, "--", "5"]);
    t.equal(again.code, 2);
    t.equal(
      again.stderr,
      `strmbrkr: journal ${journal} exists and holds records: pass --resume to reuse its results and append to it, or choose another file\n`,
    );
    t.ok(readFileSync(journal).equals(before), "the journal is unchanged");
    t.same(again.started, [], "no broker, store or worker started");

    const missing = join(dir, "no-such-dir", "j");
    const m = await strmbrkrWatched(["run", fixture("cli-square.ts"), "--workers", "1", "--journal", missing, "--", "5"]);
    t.equal(m.code, 2);
    t.equal(m.stderr, `strmbrkr: journal ${missing} cannot be opened (ENOENT in ${join(dir, "no-such-dir")})\n`);
    t.same(m.started, [], "no broker, store or worker started");
    t.same(await processesGone(m.instanceId), [], "no process is left");

    // Root writes into any folder: it gets a read-only file system (and a full one) instead.
    const root = process.getuid?.() === 0;
    const readOnly = join(dir, "ro");
    mkdirSync(readOnly, { mode: 0o500 });
    t.teardown(() => chmodSync(readOnly, 0o700));
    if (root) mountTmpfs(t, readOnly, "ro,size=64k");
    const r = await strmbrkrWatched(["run", fixture("cli-square.ts"), "--workers", "1", "--journal", join(readOnly, "j"), "--", "5"]);
    t.equal(r.code, 2, "a read-only path", { stderr: r.stderr });
    t.equal(r.stderr, `strmbrkr: journal ${join(readOnly, "j")} cannot be opened (${root ? "EROFS" : "EACCES"} in ${readOnly})\n`);
    t.same(r.started, [], "no broker, store or worker started");

    if (root) {
      const full = join(dir, "full");
      mkdirSync(full);
      mountTmpfs(t, full, "size=64k");
      fillUp(join(full, "filler"));
      const f = await strmbrkrWatched(["run", fixture("cli-square.ts"), "--workers", "1", "--journal", join(full, "j"), "--", "5"]);
      t.equal(f.code, 2, "a full disk", { stderr: f.stderr });
      t.match(f.stderr, /^strmbrkr: journal \S+ cannot be written \(ENOSPC\)\n$/, "one line naming the file it could not write");
      t.same(await processesGone(f.instanceId), [], "no process is left");
    } else t.comment("a full disk needs a small file system to fill: root mounts one; not run as uid " + process.getuid?.());

    // Planted by another user (as root: handed to nobody, uid 65534, the way another user's file would be).
    if (process.getuid?.() === 0) {
      chownSync(journal, 65534, 65534);
      const planted = await strmbrkr(["run", fixture("cli-square.ts"), "--workers", "1", "--journal", journal, "--resume", "--", "5"]);
      t.equal(planted.code, 2, "another user's journal is refused");
      t.equal(planted.stderr, `strmbrkr: journal ${journal} is owned by uid 65534, not by you (uid 0): refusing it\n`);
      chownSync(journal, 0, 0);
    } else t.comment("a journal owned by another uid needs root to make: not run as uid " + process.getuid?.());
    chmodSync(journal, 0o620);
    const loose = await strmbrkr(["run", fixture("cli-square.ts"), "--workers", "1", "--journal", journal, "--resume", "--", "5"]);
    t.equal(loose.code, 2);
    t.equal(loose.stderr, `strmbrkr: journal ${journal} is writable by others (mode 0620): refusing it; chmod go-w it if it is yours\n`);
  },
);

/** Mounts a tmpfs with `options` on `dir` for the test's length (root only). */
function mountTmpfs(t: Test, dir: string, options: string): void {
  execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]);
  t.teardown(() => execFileSync("umount", [dir]));
}

/** Writes `file` until its file system is full. */
function fillUp(file: string): void {
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) appendFileSync(file, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  }
}

t.test("strmbrkr map takes --journal and --resume too", { timeout: 60_000 }, async (t) => {
  const dir = scratchDir(t, "strmbrkr-journal-test-");
  const journal = join(dir, "j");
  const map = (stdin: string, ...flags: string[]) =>
    strmbrkr(["map", fixture("map-fns.ts"), "square", "--input", "-", "--workers", "2", "--no-progress", "--journal", journal, ...flags], {
      stdin,
      timeoutMs: 30_000,
    });
  const first = await map("1\n2\n3\n");
  t.equal(first.code, 0, "the first map exits 0", { stderr: first.stderr });
  const second = await map("1\n2\n3\n4\n", "--resume");
  t.equal(second.code, 0, "the resumed map exits 0", { stderr: second.stderr });
  t.equal(second.stdout, "1\n4\n9\n16\n", "with every line's result, in order");
  t.match(second.stderr, "3 processed results recorded");
  const queued = journalRecords(journal).filter((r) => r.t === "queued");
  t.equal(queued.length, 4, "only the new line's job was queued to run in the second map");
});

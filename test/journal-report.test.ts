/**
 * `strmbrkr report JOURNAL`'s summary, on real runs' journals: the counts by function, the failures,
 * the workers the finished records name; a run killed half-way and resumed (two runs, one with
 * unfinished jobs); a torn last line skipped with one line; a missing or corrupt journal, or a file
 * that cannot be written, refused with one line on stderr and exit 2.
 */
import { readFileSync, writeFileSync, appendFileSync, mkdirSync, chmodSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { strmbrkr } from "./lib/cli.js";
import { journalRecords, REPORT_RUN, reportRun, type ReportRun } from "./lib/journal.js";
import type { TapTest } from "./lib/scenario.js";

/**
 * One real run's journal for every test here: the first test to ask runs it (and asserts how it
 * ended); the folder lasts until the file ends. A test that changes the journal works on a copy.
 */
let shared: Promise<ReportRun> | undefined;
const root = t;
const sharedReportRun = (t: TapTest) => (shared ??= reportRun(t, root));

const report = (...args: string[]) => strmbrkr(["report", ...args], { timeoutMs: 30_000 });

/** The lines of the summary's block that starts with `title`, up to the next blank line. */
function section(stdout: string, title: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.findIndex((line) => line.startsWith(title));
  if (start < 0) return [];
  const end = lines.indexOf("", start);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** A table's rows as cells (split on runs of two spaces or more), the header row first. */
const cells = (rows: string[]) => rows.map((row) => row.trim().split(/\s{2,}/));

t.test("the summary: jobs by function, durations, failures, workers", { timeout: 90_000 }, async (t) => {
  const { journal, finished, pids } = await sharedReportRun(t);
  const result = await report(journal);
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr });
  t.equal(result.stderr, "", "nothing on stderr");
  const out = result.stdout;
  t.match(out, `journal ${journal}: 1 run, 121 records\n`, "the journal, its runs and records");
  t.match(out, `── run 1: ${REPORT_RUN} `, "the run's script");
  t.match(out, /\njobs {7}60 queued, 54 processed, 6 failed, 0 unfinished\n/, "the run's counts");
  t.match(out, /\nwall time {2}\S+ m?s to its last result, 60 jobs ended, [\d.,]+ jobs\/s\n/, "wall time and jobs/s");

  const [head, ...rows] = cells(section(out, "by function"));
  t.same(head, ["function", "queued", "processed", "failed", "unfinished", "p50", "p95", "max", "total"]);
  t.same(
    rows.map((row) => row.slice(0, 5)),
    [
      ["square", "40", "34", "6", "0"],
      ["nap", "20", "20", "0", "0"],
    ],
    "a row per function, in the order they were queued",
  );
  const [, , , , , , , napMax] = rows[1]!;
  t.match(napMax, /^\d+ ms$/, "durations carry their unit");

  const workers = cells(section(out, "workers ("));
  t.same(workers[0], ["pid", "jobs", "failed", "busy", "busy % of wall"]);
  t.same(
    workers.slice(1).map((row) => Number(row[0])),
    pids,
    "the workers are those the finished records name",
  );
  for (const row of workers.slice(1)) {
    const pid = Number(row[0]);
    const ran = finished.filter((record) => record.pid === pid);
    t.same(
      row.slice(1, 3),
      [String(ran.length), String(ran.filter((record) => record.status === "failed").length)],
      `worker ${pid}: its jobs and failures`,
    );
  }

  const slowest = cells(section(out, "slowest 10 jobs"));
  t.same(slowest[0], ["id", "function", "duration", "worker", "status"]);
  t.equal(slowest.length, 11, "ten slowest jobs");
  const ids = new Set(finished.map((record) => record.id));
  t.ok(
    slowest.slice(1).every(([id, fn, , pid]) => ids.has(id) && ["square", "nap"].includes(fn!) && pids.includes(Number(pid))),
    "each a finished job, its function and its worker",
  );

  const failures = cells(section(out, "failures (6)"));
  t.same(failures[0], ["id", "function", "error"]);
  t.equal(failures.length, 1 + 5 + 1, "the first five failures, and a line for the rest");
  t.ok(
    failures.slice(1, 6).every(([, fn, error]) => fn === "square" && /^RangeError: square: \d+ is unlucky$/.test(error!)),
    "each with its function and error",
  );
  t.same(failures[6], ["… 1 more (--html lists them with their stacks)"]);
  t.notMatch(out, "unfinished (", "no unfinished jobs listed");
});

t.test("a run killed half-way and resumed: two runs, the first with unfinished jobs", { timeout: 120_000 }, async (t) => {
  const { dir, journal } = await sharedReportRun(t);
  // What a crash leaves: the run record, the queued records, the first line of results.
  const lines = readFileSync(journal, "utf8").split("\n");
  const cut = lines.findIndex((line) => line.includes('"t":"finished"')) + 1;
  const crashed = join(dir, "crashed.journal");
  writeFileSync(crashed, `${lines.slice(0, cut).join("\n")}\n`, { mode: 0o600 });
  const kept = journalRecords(crashed);
  const queued = kept.filter((record) => record.t === "queued").length;
  const finished = kept.filter((record) => record.t === "finished").length;
  t.ok(finished > 0 && finished < queued, `the crash left ${finished} of ${queued} results`);
  const resumed = await strmbrkr(["run", REPORT_RUN, "--workers", "2", "--no-progress", "--journal", crashed, "--resume", "--", "40"], {
    timeoutMs: 60_000,
  });
  t.equal(resumed.code, 0, "the resumed run exits 0", { stderr: resumed.stderr });

  const result = await report(crashed);
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr });
  const out = result.stdout;
  t.match(out, `journal ${crashed}: 2 runs,`);
  t.match(out, `── run 1 of 2: ${REPORT_RUN} `);
  t.match(out, `── run 2 of 2: ${REPORT_RUN} `);
  t.match(out, `${queued} queued, `, "run 1's queued jobs");
  t.match(out, `, ${queued - finished} unfinished\n`, "run 1's jobs without a result are unfinished");
  const listed = section(out, `unfinished (${queued - finished}): queued, never finished`);
  t.equal(listed.length, 1, "and listed");
  t.match(listed[0], /^ {2}\d+-\d+ \((square|nap)\), /, "by id and function");
  t.match(out, /\nall 2 runs: \d+ queued, \d+ processed, \d+ failed, \d+ unfinished\n/, "a line for all runs");
});

t.test("a torn last line is skipped, and said so in one line", { timeout: 90_000 }, async (t) => {
  const { dir, journal: whole } = await sharedReportRun(t);
  const journal = join(dir, "torn.journal");
  copyFileSync(whole, journal);
  const lines = readFileSync(whole, "utf8").split("\n").length - 1;
  appendFileSync(journal, `0badf00d {"t":"finished","id":"1-1","status":"proc`);
  const result = await report(journal);
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr });
  t.match(result.stdout, `journal ${journal}: 1 run, 121 records\nline ${lines + 1} is torn (cut short by a crash): skipped\n`);
});

t.test("a missing or corrupt journal, or an output that cannot be written: one line, exit 2", { timeout: 90_000 }, async (t) => {
  const { dir, journal } = await sharedReportRun(t);
  const missing = join(dir, "nope.journal");
  const gone = await report(missing);
  t.same([gone.code, gone.stderr, gone.stdout], [2, `strmbrkr: journal ${missing}: no such file\n`, ""], "a missing journal");

  const corrupt = join(dir, "corrupt.journal");
  const lines = readFileSync(journal, "utf8").split("\n");
  const squares = lines.findIndex((line) => line.includes('"fn":"square"'));
  lines[squares] = lines[squares]!.replace('"fn":"square"', '"fn":"squarf"'); // the checksum no longer matches
  writeFileSync(corrupt, lines.join("\n"));
  const bad = await report(corrupt);
  t.same(
    [bad.code, bad.stderr, bad.stdout],
    [2, `strmbrkr: journal ${corrupt}: line ${squares + 1} is corrupt (checksum mismatch); refusing the journal, left as it is\n`, ""],
    "a corrupt line in the middle",
  );

  const folder = join(dir, "no-such-folder", "r.html");
  const unwritable = await report(journal, "--html", folder);
  t.same(
    [unwritable.code, unwritable.stderr],
    [2, `strmbrkr: --html ${folder} cannot be written (ENOENT)\n`],
    "an --html path in no folder",
  );

  const readOnly = join(dir, "ro");
  mkdirSync(readOnly, { mode: 0o500 });
  t.teardown(() => chmodSync(readOnly, 0o700));
  const trace = join(readOnly, "t.json");
  const refused = await report(journal, "--trace", trace);
  if (process.getuid?.() === 0) t.comment("root writes into a read-only folder: not checked");
  else
    t.same(
      [refused.code, refused.stderr],
      [2, `strmbrkr: --trace ${trace} cannot be written (EACCES)\n`],
      "a --trace path in a read-only folder",
    );

  const empty = await report(journal, "--html", "");
  t.same([empty.code, empty.stderr], [2, "strmbrkr: --html needs a file name\n"], "an empty --html");
});

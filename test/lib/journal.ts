/** A real run's journal for the `strmbrkr report` tests, and the journal's records read as a user could. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "../../runtime/util/crc32.js";
import { fixture, lastJson, processesGone, strmbrkr } from "./cli.js";
import { type Asserts, scratchDir } from "./kvs-helpers.js";

export const REPORT_RUN = fixture("journal-report.ts");

/** The fixture's line that throws: a failure's stack must name it. */
export const THROW_LINE =
  readFileSync(REPORT_RUN, "utf8")
    .split("\n")
    .findIndex((line) => line.includes("throw new RangeError")) + 1;

/**
 * The journal's records, read as a user could (docs/journal.md): its whole lines with a good
 * checksum, parsed, a batch line read as a record per job (a torn or bad line is skipped).
 */
export function journalRecords(path: string): any[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .slice(0, -1) // the last piece has no newline: torn, or empty
    .filter((line) => /^[0-9a-f]{8} /.test(line) && crc32(line.slice(9)) === Number.parseInt(line.slice(0, 8), 16))
    .flatMap((line) => perJob(JSON.parse(line.slice(9))));
}

function perJob(line: any): any[] {
  if (!line.jobs) return [line];
  if (line.t === "queued") return line.jobs.map(([id, args]: string[]) => ({ t: "queued", id, fn: line.fn, args }));
  return line.jobs.map(([id, value, delegated, started, processed, pid]: [string, string, number, number, number, number]) => ({
    t: "finished",
    id,
    status: "processed",
    value,
    delegated,
    started,
    processed,
    pid,
  }));
}

/** A record (or a batch) as a journal line, by the format's definition: the writer's output is checked against it. */
export function frameLine(record: object): string {
  const json = JSON.stringify(record).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

export interface ReportRun {
  dir: string;
  journal: string;
  /** The finished records. */
  finished: any[];
  /** The worker pids the finished records name, ascending. */
  pids: number[];
}

/**
 * Runs the fixture (`-- 40`: 40 squares, 6 of which throw, and 20 naps) on two workers with
 * --journal into a scratch folder removed when `keep` (by default `t`) ends; `t` takes the run's assertions.
 */
export async function reportRun(t: Asserts, keep: Asserts = t): Promise<ReportRun> {
  const dir = scratchDir(keep, "strmbrkr-report-test-");
  const journal = join(dir, "run.journal");
  const run = await strmbrkr(["run", REPORT_RUN, "--workers", "2", "--no-progress", "--journal", journal, "--", "40"], {
    timeoutMs: 60_000,
  });
  t.equal(run.code, 0, "the fixture's run exits 0", { stderr: run.stderr });
  t.same(lastJson(run.stdout), { processed: 54, failed: 6 }, "its jobs ended as the fixture says");
  t.same(await processesGone(run.instanceId), [], "no process of the run is left");
  const finished = journalRecords(journal).filter((record) => record.t === "finished");
  const pids = [...new Set(finished.map((record) => record.pid as number))].sort((a, b) => a - b);
  return { dir, journal, finished, pids };
}

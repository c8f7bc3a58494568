import { DURATION_BOUNDS_MS } from "../wire/dashboard.js";
import type { JournalReport } from "../wire/journal-report.js";
import { scanJournal } from "./journal-format.js";
import { type JobSpan, RunFigures, type RunLimits } from "./journal-run.js";

export type { JobSpan } from "./journal-run.js";

/** How `summarizeJournal` reads. */
export interface SummaryOptions {
  /** Bounds on what each run keeps for the HTML report. Default 30,000 task-stream slices, 200 failures. */
  limits?: Partial<RunLimits>;
  /** Called with every finished job that has a time, in the journal's order: e.g. for a trace. */
  onJob?: (span: JobSpan) => void;
}

const DEFAULT_LIMITS: Readonly<RunLimits> = Object.freeze({ slices: 30_000, failures: 200 });

/**
 * The figures `strmbrkr report` shows, from a journal's bytes: a summary per run (each `run` record
 * opens one: the first run and each --resume after it). One pass over scanJournal's records,
 * keeping a few numbers per job and a bounded sample of the rest. Throws scanJournal's
 * JournalError for a corrupt journal; a torn last line is skipped and named in `torn`.
 *
 * @example const report = summarizeJournal(readFileSync(path), path);
 */
export function summarizeJournal(bytes: Buffer, path: string, options: SummaryOptions = {}): JournalReport {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const runs: RunFigures[] = [];
  let run: RunFigures | undefined;
  const end = scanJournal(bytes, path, (record) => {
    if (record.t === "run") runs.push((run = new RunFigures(record, runs.length + 1, limits, options.onJob)));
    else if (record.t === "queued") run!.queued(record);
    else run!.finished(record);
  });
  return {
    journal: path,
    records: end.records,
    ...(end.torn === undefined ? {} : { torn: end.torn }),
    runs: runs.map((figures) => figures.summary()),
    bounds: DURATION_BOUNDS_MS,
  };
}

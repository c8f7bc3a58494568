/**
 * What `strmbrkr report JOURNAL` finds in a journal (docs/journal.md, "Reports"): the figures the
 * text summary prints, and the data the HTML report embeds as JSON in a
 * `<script type="application/json" id="report-data">` for its page (web/report.tsx) to draw.
 * Times are epoch milliseconds unless the name says otherwise.
 */
import type { DurationHistogram, FailureView, TaskSlice } from "./dashboard.js";

/** The id of the script element that holds a JournalReport as JSON in the HTML report. */
export const REPORT_DATA_ID = "report-data";

export interface JournalReport {
  /** The journal's path, as given. */
  journal: string;
  /** Records read (torn line excluded). */
  records: number;
  /** The line number of a torn last line (cut short by a crash): skipped. */
  torn?: number;
  /** In the journal's order: one per `run` record (a run and each --resume after it). */
  runs: RunSummary[];
  /** Upper bounds of the duration buckets (DURATION_BOUNDS_MS), for drawing the histograms. */
  bounds: readonly number[];
}

export interface RunSummary {
  /** 1 for the journal's first run, 2 for the --resume after it, … */
  index: number;
  script: string;
  /** SHA-256 of the bundle that ran. */
  bundle: string;
  /** When the run started. */
  at: number;
  /** Its last result's end (the journal records no run end); `at` when it has none. */
  end: number;
  queued: number;
  processed: number;
  failed: number;
  /** Queued by this run with no finished record in it: the run was killed or crashed before they ended. */
  unfinished: number;
  /** The first of those, in the order they were queued (at most a few dozen). */
  unfinishedJobs: { id: string; fn: string }[];
  /** In the order the run first queued each. */
  functions: FunctionSummary[];
  /** Those that ran a job, by pid. */
  workers: WorkerSummary[];
  /** The slowest jobs, slowest first (at most ten). */
  slowest: SlowJob[];
  /** The first failures, in the order they ended (at most a few hundred): `failureCount` says how many in all. */
  failures: FailureView[];
  /** Jobs ended per second over the run, in equal steps from `at` (at most a few hundred points). */
  throughput: { stepSeconds: number; t: number[]; perSecond: number[] };
  /** The task stream: every job with a worker and a time, evenly thinned past a bound. */
  stream: { slices: TaskSlice[]; total: number; kept: number };
}

export interface FunctionSummary {
  fn: string;
  queued: number;
  processed: number;
  failed: number;
  unfinished: number;
  /** Of the finished jobs with a start and an end (processed - started); p50 and p95 are exact. */
  durations: DurationHistogram & { p50Ms: number | null; p95Ms: number | null };
}

export interface WorkerSummary {
  pid: number;
  jobs: number;
  failed: number;
  /** The sum of its jobs' durations. */
  busyMs: number;
}

export interface SlowJob {
  id: string;
  fn: string;
  ms: number;
  pid?: number;
  status: "processed" | "failed";
}

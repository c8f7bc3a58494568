import { runStats } from "../runtime/util/stats.js";
import { StatusLine } from "./status-line.js";

const REFRESH_MS = 100;

/** What the progress line counts: jobs by default; `strmbrkr map` counts input lines (`unit: "lines"`). */
export interface ProgressCounts {
  done: number;
  total: number;
  failed: number;
  unit?: string;
}

const jobCounts = (): ProgressCounts => ({ done: runStats.processed + runStats.failed, total: runStats.queued, failed: runStats.failed });

/**
 * A live line on stderr (done/queued, failed, jobs/s, busy workers), then a one-line summary.
 * Hand-written: it is one line and a timer, less than any library would bring.
 */
export function startProgress(counts: () => ProgressCounts = jobCounts): { stop(): void } {
  const startedAt = performance.now();
  const seconds = () => (performance.now() - startedAt) / 1000;
  const line = () => {
    const { done, total, failed, unit } = counts();
    const { workers, remote } = runStats;
    const pool = remote === undefined ? `${workers}` : `${workers + remote} (${workers} local, ${remote} remote)`;
    const of = unit ? ` ${unit}` : "";
    return `${done}/${total}${of} done, ${failed} failed, ${(done / Math.max(seconds(), 0.001)).toFixed(1)} ${unit ?? "jobs"}/s, ${runStats.busy}/${pool} workers busy`;
  };
  // Cleared and redrawn around every line written meanwhile, by anyone (status-line.ts).
  const status = new StatusLine();
  const timer = setInterval(() => status.update(line()), REFRESH_MS);
  timer.unref();
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      status.close();
      process.stderr.write(`strmbrkr: ${line().replace(/, \d+\/\d+( \(.*\))? workers busy$/, "")} in ${seconds().toFixed(1)} s\n`);
    },
  };
}

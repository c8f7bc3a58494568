import { runStats } from "../runtime/stats.js";
import { StatusLine } from "./status-line.js";

const REFRESH_MS = 100;

/**
 * A live line on stderr (done/queued, failed, jobs/s, busy workers), then a one-line summary.
 * Hand-written: it is one line and a timer, less than any library would bring.
 */
export function startProgress(): { stop(): void } {
  const startedAt = performance.now();
  const seconds = () => (performance.now() - startedAt) / 1000;
  const line = () => {
    const done = runStats.processed + runStats.failed;
    const { workers, remote } = runStats;
    const pool = remote === undefined ? `${workers}` : `${workers + remote} (${workers} local, ${remote} remote)`;
    return `${done}/${runStats.queued} done, ${runStats.failed} failed, ${(done / Math.max(seconds(), 0.001)).toFixed(1)} jobs/s, ${runStats.busy}/${pool} workers busy`;
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

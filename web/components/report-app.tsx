import { useMemo } from "preact/hooks";
import type { JournalReport } from "../../runtime/wire/journal-report.js";
import { formatCount } from "../format.js";
import { FunctionColors } from "../theme.js";
import { Total } from "./header.js";
import { RunReport } from "./report-run.js";

/** A journal's report: what it holds at a glance, then each run (the first, and each --resume after it). */
export function ReportApp({ report }: { report: JournalReport }) {
  const colors = useMemo(() => new FunctionColors(), []);
  // Colours by the order functions were first queued, the same on every reload.
  for (const run of report.runs) for (const fn of run.functions) colors.slot(fn.fn);
  const sum = (pick: (run: JournalReport["runs"][number]) => number) => report.runs.reduce((total, run) => total + pick(run), 0);
  const failed = sum((run) => run.failed);
  const unfinished = sum((run) => run.unfinished);
  return (
    <>
      <header class="run-header" data-testid="header">
        <div class="run-title">
          <span class="brand">strmbrkr report</span>
          <h1 title={report.journal}>{report.journal}</h1>
          <span class="run-facts">
            <span>{report.runs.length === 1 ? "1 run" : `${report.runs.length} runs`}</span>
            <span>{formatCount(report.records)} records</span>
          </span>
        </div>
        <dl class="totals" data-testid="totals">
          <Total label="Queued" value={sum((run) => run.queued)} testid="total-queued" />
          <Total label="Processed" value={sum((run) => run.processed)} testid="total-processed" />
          <Total label="Failed" value={failed} testid="total-failed" warn={failed > 0} />
          <Total label="Unfinished" value={unfinished} testid="total-unfinished" warn={unfinished > 0} title="queued, never finished" />
        </dl>
        {report.torn !== undefined && (
          <p class="report-note" data-testid="torn">
            Line {formatCount(report.torn)} of the journal is torn (cut short by a crash): skipped.
          </p>
        )}
      </header>
      {report.runs.length === 0 && <p class="empty report-empty">The journal holds no run yet.</p>}
      {report.runs.map((run) => (
        <RunReport key={run.index} run={run} runs={report.runs.length} bounds={report.bounds} colors={colors} />
      ))}
    </>
  );
}

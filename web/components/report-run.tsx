import type { RunSummary } from "../../runtime/wire/journal-report.js";
import { SeriesChart } from "../charts.js";
import { formatCount, formatMs, formatPercent, formatRate } from "../format.js";
import type { FunctionColors } from "../theme.js";
import { DurationsPanel } from "./durations-panel.js";
import { FailuresList } from "./failures-list.js";
import { Panel } from "./panel.js";
import { FunctionSummaryTable, SlowestTable, UnfinishedList, WorkerSummaryTable } from "./report-tables.js";
import { RunTaskStream } from "./report-stream.js";

interface RunReportProps {
  run: RunSummary;
  runs: number;
  bounds: readonly number[];
  colors: FunctionColors;
}

/** One run of the journal: its figures, task stream, throughput, durations, workers, slowest jobs, failures. */
export function RunReport({ run, runs, bounds, colors }: RunReportProps) {
  const wallMs = run.end - run.at;
  const ended = run.processed + run.failed;
  const { stream } = run;
  return (
    <section class="report-run" data-testid="run" data-run={run.index}>
      <h2 class="report-run-title">
        Run {run.index}
        {runs > 1 ? ` of ${runs}` : ""}: <span class="mono">{run.script}</span>
      </h2>
      <p class="report-run-facts muted">
        started {new Date(run.at).toLocaleString()} · wall time {formatMs(wallMs)} to its last result · {formatCount(ended)} jobs ended
        {wallMs > 0 ? `, ${formatRate((ended * 1000) / wallMs)} jobs/s` : ""} · bundle <span class="mono">{run.bundle.slice(0, 12)}…</span>
      </p>
      <div class="report-grid">
        <Panel
          area="report-wide"
          title="Functions"
          testid="summary"
          meta={run.functions.length === 1 ? "1 function" : `${run.functions.length} functions`}
        >
          <FunctionSummaryTable run={run} colors={colors} />
        </Panel>
        <Panel area="report-wide" title="Task stream" testid="stream-panel" meta={streamMeta(stream)}>
          <RunTaskStream run={run} colors={colors} />
        </Panel>
        <Panel area="report-half" title="Throughput" meta={`jobs ended per ${formatMs(run.throughput.stepSeconds * 1000)}, as jobs/s`}>
          <SeriesChart title="Throughput" unit="jobs/s" t={run.throughput.t} values={run.throughput.perSecond} colourVariable="--accent" />
        </Panel>
        <Panel area="report-half" title="Job durations" meta="processed − started">
          <DurationsPanel functions={run.functions} bounds={bounds} colors={colors} />
        </Panel>
        <Panel area="report-half" title="Workers" testid="workers" meta={`${run.workers.length} ran jobs`}>
          <WorkerSummaryTable run={run} />
        </Panel>
        <Panel area="report-half" title="Slowest jobs" testid="slowest">
          <SlowestTable run={run} colors={colors} />
        </Panel>
        <Panel area="report-wide" title="Failures" testid="failures-panel" meta={failuresMeta(run)}>
          <FailuresList failures={run.failures} colors={colors} />
        </Panel>
        {run.unfinished > 0 && (
          <Panel area="report-wide" title="Unfinished" testid="unfinished" meta={`${formatCount(run.unfinished)} queued, never finished`}>
            <UnfinishedList run={run} />
          </Panel>
        )}
      </div>
    </section>
  );
}

function streamMeta({ total, kept }: RunSummary["stream"]): string {
  if (kept >= total) return `the whole run, ${formatCount(total)} jobs`;
  return `the whole run: ${formatCount(kept)} of ${formatCount(total)} jobs drawn (${formatPercent(kept / total)}, evenly thinned)`;
}

function failuresMeta(run: RunSummary): string {
  if (run.failed === 0) return "none";
  if (run.failures.length < run.failed) return `${formatCount(run.failed)} in all, the first ${run.failures.length} shown`;
  return `${formatCount(run.failed)} in all`;
}

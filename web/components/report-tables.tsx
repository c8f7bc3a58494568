import type { RunSummary } from "../../runtime/wire/journal-report.js";
import { formatCount, formatMs, formatPercent } from "../format.js";
import type { FunctionColors } from "../theme.js";
import { Swatch, TableHead } from "./panel.js";

// The report's tables: the figures `strmbrkr report` prints, a row per function, worker, slow job.

const FUNCTION_COLUMNS: [string, string?][] = [
  ["Function"],
  ["Queued", "num secondary"],
  ["Processed", "num"],
  ["Failed", "num"],
  ["Unfinished", "num secondary"],
  ["p50", "num"],
  ["p95", "num"],
  ["Max", "num secondary"],
  ["Total", "num secondary"],
];

export function FunctionSummaryTable({ run, colors }: { run: RunSummary; colors: FunctionColors }) {
  if (run.functions.length === 0) return <p class="empty">No job was queued.</p>;
  return (
    <div class="table-scroll">
      <table class="data" data-testid="functions">
        <TableHead columns={FUNCTION_COLUMNS} />
        <tbody>
          {run.functions.map((fn) => {
            const timed = fn.durations.count > 0;
            return (
              <tr key={fn.fn} data-testid="fn-row" data-fn={fn.fn}>
                <th scope="row" class="name" title={fn.fn}>
                  <Swatch colour={colors.cssVar(fn.fn)} />
                  <span class="cut">{fn.fn}</span>
                </th>
                <td class="num secondary">{formatCount(fn.queued)}</td>
                <td class="num" data-testid="fn-processed">
                  {formatCount(fn.processed)}
                </td>
                <td class={fn.failed > 0 ? "num bad" : "num"} data-testid="fn-failed">
                  {formatCount(fn.failed)}
                </td>
                <td class={fn.unfinished > 0 ? "num warn secondary" : "num secondary"}>{formatCount(fn.unfinished)}</td>
                <td class="num">{formatMs(fn.durations.p50Ms)}</td>
                <td class="num">{formatMs(fn.durations.p95Ms)}</td>
                <td class="num secondary">{timed ? formatMs(fn.durations.maxMs) : "–"}</td>
                <td class="num secondary">{timed ? formatMs(fn.durations.sumMs) : "–"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

const WORKER_COLUMNS: [string, string?][] = [
  ["Worker pid"],
  ["Jobs", "num"],
  ["Failed", "num"],
  ["Busy", "num"],
  ["Busy % of wall", "num"],
];

export function WorkerSummaryTable({ run }: { run: RunSummary }) {
  if (run.workers.length === 0) return <p class="empty">No job recorded a worker.</p>;
  const wallMs = run.end - run.at;
  return (
    <div class="table-scroll tall">
      <table class="data" data-testid="workers-table">
        <TableHead columns={WORKER_COLUMNS} />
        <tbody>
          {run.workers.map((worker) => (
            <tr key={worker.pid} data-testid="worker-row" data-pid={worker.pid}>
              <th scope="row" class="mono">
                {worker.pid}
              </th>
              <td class="num">{formatCount(worker.jobs)}</td>
              <td class={worker.failed > 0 ? "num bad" : "num"}>{formatCount(worker.failed)}</td>
              <td class="num">{formatMs(worker.busyMs)}</td>
              <td class="num">{wallMs > 0 ? formatPercent(worker.busyMs / wallMs) : "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const SLOW_COLUMNS: [string, string?][] = [["Job"], ["Function"], ["Duration", "num"], ["Worker", "num"], ["Status"]];

export function SlowestTable({ run, colors }: { run: RunSummary; colors: FunctionColors }) {
  if (run.slowest.length === 0) return <p class="empty">No job recorded its start and end.</p>;
  return (
    <div class="table-scroll">
      <table class="data" data-testid="slowest-table">
        <TableHead columns={SLOW_COLUMNS} />
        <tbody>
          {run.slowest.map((job) => (
            <tr key={job.id}>
              <td class="mono">{job.id}</td>
              <td>
                <Swatch colour={colors.cssVar(job.fn)} />
                {job.fn}
              </td>
              <td class="num">{formatMs(job.ms)}</td>
              <td class="num mono">{job.pid ?? "–"}</td>
              <td class={job.status === "failed" ? "bad" : undefined}>{job.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The jobs a killed or crashed run queued and never finished: the first few dozen by id. */
export function UnfinishedList({ run }: { run: RunSummary }) {
  const more = run.unfinished - run.unfinishedJobs.length;
  return (
    <p class="report-unfinished">
      {run.unfinishedJobs.map((job) => (
        <span key={job.id} class="mono">
          {job.id} <span class="muted">({job.fn})</span>
        </span>
      ))}
      {more > 0 && <span class="muted">… {formatCount(more)} more</span>}
    </p>
  );
}

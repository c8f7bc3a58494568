import type { JournalReport, RunSummary } from "../runtime/wire/journal-report.js";

// `strmbrkr report`'s summary, as text for a terminal: a block per run, aligned columns, units on
// every figure. What a person reads after a run; scripts want --trace or the HTML's embedded JSON.

const FAILURES_LISTED = 5;
const UNFINISHED_LISTED = 10;

/** The whole summary, ending with a newline. */
export function summaryText(report: JournalReport): string {
  const { runs } = report;
  const lines = [
    `journal ${report.journal}: ${plural(runs.length, "run")}, ${plural(report.records, "record")}`,
    ...(report.torn === undefined ? [] : [`line ${count(report.torn)} is torn (cut short by a crash): skipped`]),
  ];
  if (runs.length === 0) lines.push("no run recorded yet");
  for (const run of runs) lines.push("", ...runText(run, runs.length));
  if (runs.length > 1) {
    const sum = (pick: (run: RunSummary) => number) => runs.reduce((total, run) => total + pick(run), 0);
    lines.push(
      "",
      `all ${runs.length} runs: ${count(sum((run) => run.queued))} queued, ${count(sum((run) => run.processed))} processed, ` +
        `${count(sum((run) => run.failed))} failed, ${count(sum((run) => run.unfinished))} unfinished`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function runText(run: RunSummary, runs: number): string[] {
  const ended = run.processed + run.failed;
  const wallMs = run.end - run.at;
  const rate = wallMs > 0 ? `${rateText((ended * 1000) / wallMs)} jobs/s` : "–";
  const lines = [
    `── run ${run.index}${runs > 1 ? ` of ${runs}` : ""}: ${run.script} `.padEnd(78, "─"),
    `started    ${dateText(run.at)}   bundle ${run.bundle.slice(0, 12)}…`,
    `wall time  ${duration(wallMs)} to its last result, ${count(ended)} jobs ended, ${rate}`,
    `jobs       ${count(run.queued)} queued, ${count(run.processed)} processed, ${count(run.failed)} failed, ${count(run.unfinished)} unfinished`,
  ];
  if (run.functions.length > 0) {
    lines.push("", "by function");
    const rows = run.functions.map((fn) => {
      const { p50Ms, p95Ms, maxMs, sumMs, count: timed } = fn.durations;
      const times = timed > 0 ? [duration(p50Ms!), duration(p95Ms!), duration(maxMs), duration(sumMs)] : ["–", "–", "–", "–"];
      return [fn.fn, count(fn.queued), count(fn.processed), count(fn.failed), count(fn.unfinished), ...times];
    });
    lines.push(...table([["function", "queued", "processed", "failed", "unfinished", "p50", "p95", "max", "total"], ...rows], "lrrrrrrrr"));
  }
  if (run.slowest.length > 0) {
    lines.push("", `slowest ${run.slowest.length === 1 ? "job" : `${run.slowest.length} jobs`}`);
    const rows = run.slowest.map((job) => [job.id, job.fn, duration(job.ms), job.pid === undefined ? "–" : String(job.pid), job.status]);
    lines.push(...table([["id", "function", "duration", "worker", "status"], ...rows], "llrrl"));
  }
  if (run.workers.length > 0) {
    lines.push("", `workers (${run.workers.length})`);
    const rows = run.workers.map((worker) => [
      String(worker.pid),
      count(worker.jobs),
      count(worker.failed),
      duration(worker.busyMs),
      wallMs > 0 ? `${Math.round((worker.busyMs / wallMs) * 100)}%` : "–",
    ]);
    lines.push(...table([["pid", "jobs", "failed", "busy", "busy % of wall"], ...rows], "rrrrr"));
  }
  if (run.failed > 0) {
    lines.push("", `failures (${count(run.failed)})`);
    const rows = run.failures
      .slice(0, FAILURES_LISTED)
      .map((failure) => [failure.id, failure.fn, `${failure.name}: ${firstLine(failure.message)}`]);
    lines.push(...table([["id", "function", "error"], ...rows], "lll"));
    if (run.failed > FAILURES_LISTED) lines.push(`  … ${count(run.failed - FAILURES_LISTED)} more (--html lists them with their stacks)`);
  }
  if (run.unfinished > 0) {
    lines.push("", `unfinished (${count(run.unfinished)}): queued, never finished: the run was killed or crashed`);
    const listed = run.unfinishedJobs.slice(0, UNFINISHED_LISTED).map((job) => `${job.id} (${job.fn})`);
    lines.push(`  ${listed.join(", ")}${run.unfinished > listed.length ? `, … ${count(run.unfinished - listed.length)} more` : ""}`);
  }
  return lines;
}

/** Columns padded to their widest cell, left- or right-aligned by `align` ("l"/"r" per column), two spaces apart. */
function table(rows: string[][], align: string): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map(
    (row) =>
      `  ${row
        .map((cell, column) => (align[column] === "r" ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
        .join("  ")
        .trimEnd()}`,
  );
}

const count = (n: number) => n.toLocaleString("en-US");
const plural = (n: number, noun: string) => `${count(n)} ${n === 1 ? noun : `${noun}s`}`;
const firstLine = (text: string) => text.split("\n", 1)[0]!;

/** A duration: "0 ms", "850 ms", "12.4 s", "2m 05s", "1h 02m". */
export function duration(ms: number): string {
  if (ms < 1) return ms === 0 ? "0 ms" : `${Number((ms * 1000).toPrecision(3))} µs`;
  if (ms < 1000) return `${Number(ms.toPrecision(3))} ms`;
  if (ms < 59_950) return `${Number((ms / 1000).toPrecision(3))} s`;
  const s = Math.round(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
}

function rateText(perSecond: number): string {
  return perSecond >= 100 ? count(Math.round(perSecond)) : String(Number(perSecond.toPrecision(3)));
}

/** Local time, to the second: "2026-12-03 14:03:27". */
function dateText(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

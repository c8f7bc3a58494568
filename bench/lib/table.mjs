// The results table: one row per figure and peer, printed as Markdown (so BENCHMARKS.md can hold it as is).
import { summarize } from "./stats.mjs";

/**
 * A table row from repeated samples. The ratio says how far strmbrkr is ahead (> 1) or behind (< 1):
 * strmbrkr ÷ peer, or peer ÷ strmbrkr when `lowerIsBetter`. `goal` is `{ ratio }` (that ratio at
 * least; `of` names the peer in the goal's text), `{ timesAtMost }` (strmbrkr's median at most that
 * many times the peer's: for figures where lower is better, "≤ 1.3× four bare forks"), or
 * `{ atMost }` / `{ atLeast }` (strmbrkr's median against a fixed figure: only for what is itself
 * a ratio, e.g. % of ideal, or an absolute promise such as bytes per queued job).
 */
export function row({ figure, unit, peer, strmbrkr, peerValues, goal, digits = 0, lowerIsBetter = false }) {
  const ours = summarize(strmbrkr);
  const theirs = summarize(peerValues ?? []);
  let ratio;
  if (ours.median && theirs.median) ratio = lowerIsBetter ? theirs.median / ours.median : ours.median / theirs.median;
  return {
    figure,
    unit,
    lowerIsBetter,
    peer,
    digits,
    goal: goalText(goal),
    met: goalMet(goal, ours.median, theirs.median, ratio),
    ratio,
    measured: measuredText(goal, ours.median, theirs.median, ratio, unit, digits),
    strmbrkr: ours,
    peerStats: theirs,
  };
}

function goalText(goal) {
  if (!goal) return "";
  if (goal.ratio !== undefined) return `≥ ${goal.ratio}× ${goal.of ?? "peer"}`;
  if (goal.timesAtMost !== undefined) return `≤ ${goal.timesAtMost}× ${goal.of ?? "peer"}`;
  if (goal.atMost !== undefined) return `≤ ${goal.atMost}`;
  return `≥ ${goal.atLeast}`;
}

/** What was measured, in the goal's own terms (for "≤ N× peer": strmbrkr's median ÷ the peer's). */
function measuredText(goal, median, peerMedian, ratio, unit, digits) {
  if (!goal || median === undefined) return undefined;
  if (goal.ratio !== undefined) return ratio === undefined ? undefined : `${ratio.toFixed(2)}×`;
  if (goal.timesAtMost !== undefined) return peerMedian ? `${(median / peerMedian).toFixed(2)}×` : undefined;
  return `${format(median, digits)} ${unit}`;
}

function goalMet(goal, median, peerMedian, ratio) {
  if (!goal || median === undefined) return undefined;
  if (goal.ratio !== undefined) return ratio === undefined ? undefined : ratio >= goal.ratio;
  if (goal.timesAtMost !== undefined) return peerMedian === undefined ? undefined : median <= goal.timesAtMost * peerMedian;
  if (goal.atMost !== undefined) return median <= goal.atMost;
  return median >= goal.atLeast;
}

export function markdownTable(rows) {
  const header = [
    "figure",
    "strmbrkr median",
    "peer median",
    "ratio (> 1: strmbrkr ahead)",
    "strmbrkr min–max",
    "peer min–max",
    "goal",
    "met",
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i === 0 ? "---" : "--:")).join("|")}|`];
  for (const r of rows) {
    const n = (value) => format(value, r.digits);
    const range = (s) => (s.median === undefined ? "n/a" : `${n(s.min)}–${n(s.max)}`);
    const failed = (s) => (s.failed ? ` (${s.failed} failed)` : "");
    const met = !r.goal ? "–" : r.met === undefined ? "?" : r.met ? "yes" : "**no**";
    lines.push(
      `| ${r.figure}, ${r.unit}${r.lowerIsBetter ? " (lower is better)" : ""} — vs ${r.peer} | ${n(r.strmbrkr.median)}${failed(r.strmbrkr)} | ${n(r.peerStats.median)}${failed(r.peerStats)} | ${r.ratio === undefined ? "n/a" : `${r.ratio.toFixed(2)}×`} | ${range(r.strmbrkr)} | ${range(r.peerStats)} | ${r.goal || "–"} | ${met} |`,
    );
  }
  return lines.join("\n");
}

/** One line a goal: met, not met, or not measured. */
export function goalLines(rows) {
  const goals = rows.filter((r) => r.goal);
  const verdict = (r) => (r.met === undefined ? "not measured" : r.met ? "met" : "NOT MET");
  const lines = goals.map((r) => {
    return `${verdict(r).padEnd(12)} ${r.figure} vs ${r.peer}: goal ${r.goal}${r.measured ? `, measured ${r.measured}` : ""}`;
  });
  const met = goals.filter((r) => r.met).length;
  return [`goals: ${met} of ${goals.length} met`, ...lines];
}

function format(value, digits) {
  if (value === undefined) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

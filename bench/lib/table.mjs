// The results table: one row per figure and peer, printed as Markdown (so BENCHMARKS.md can hold it as is).
import { summarize } from "./stats.mjs";

/**
 * A table row from repeated samples. The ratio says how far strmbrkr is ahead (> 1) or behind (< 1):
 * strmbrkr ÷ peer, or peer ÷ strmbrkr when `lowerIsBetter`. `goal` is `{ ratio }` (that ratio at
 * least; `of` names the peer in the goal's text), `{ atMost }` or `{ atLeast }` (strmbrkr's median
 * against a fixed figure).
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
    met: goalMet(goal, ours.median, ratio),
    ratio,
    strmbrkr: ours,
    peerStats: theirs,
  };
}

function goalText(goal) {
  if (!goal) return "";
  if (goal.ratio !== undefined) return `≥ ${goal.ratio}× ${goal.of ?? "peer"}`;
  if (goal.atMost !== undefined) return `≤ ${goal.atMost}`;
  return `≥ ${goal.atLeast}`;
}

function goalMet(goal, median, ratio) {
  if (!goal || median === undefined) return undefined;
  if (goal.ratio !== undefined) return ratio === undefined ? undefined : ratio >= goal.ratio;
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

function format(value, digits) {
  if (value === undefined) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

import type { FunctionView } from "../../runtime/wire/dashboard.js";
import { formatCount, formatMs, formatRate, formatSeconds } from "../format.js";
import type { FunctionColors } from "../theme.js";
import { Swatch, TableHead } from "./panel.js";

/** Label and class of each column; "secondary" ones are hidden on a phone, which keeps failures, progress and ETA. */
const COLUMNS: [string, string?][] = [
  ["Function"],
  ["Queued", "num secondary"],
  ["Running", "num secondary"],
  ["Done", "num secondary"],
  ["Failed", "num"],
  ["Progress", "bar-col"],
  ["Rate/s", "num secondary"],
  ["ETA", "num"],
  ["p50", "num secondary"],
  ["p95", "num secondary"],
  ["Max", "num secondary"],
];

/** Progress per function: the terminal's progress line, a row per function, with rate, ETA and duration percentiles. */
export function FunctionsTable({ functions, colors }: { functions: readonly FunctionView[]; colors: FunctionColors }) {
  if (functions.length === 0) return <p class="empty">No job submitted yet.</p>;
  return (
    <div class="table-scroll">
      <table class="data" data-testid="functions">
        <TableHead columns={COLUMNS} />
        <tbody>
          {functions.map((fn) => (
            <FunctionRow key={fn.fn} fn={fn} colour={colors.cssVar(fn.fn)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FunctionRow({ fn, colour }: { fn: FunctionView; colour: string }) {
  const share = (n: number) => `${(n / Math.max(1, fn.queued)) * 100}%`;
  const ended = fn.done + fn.failed;
  const finished = fn.queued > 0 && ended >= fn.queued;
  return (
    <tr data-testid="fn-row" data-fn={fn.fn}>
      <th scope="row" class="name" title={fn.fn}>
        <Swatch colour={colour} />
        <span class="cut">{fn.fn}</span>
      </th>
      <td class="num secondary">{formatCount(fn.queued)}</td>
      <td class="num secondary">{formatCount(fn.running)}</td>
      <td class="num secondary">{formatCount(fn.done)}</td>
      <td class={fn.failed > 0 ? "num bad" : "num"}>{formatCount(fn.failed)}</td>
      <td class="bar-col">
        <div class="bar" title={`${Math.floor((ended / Math.max(1, fn.queued)) * 100)}% ended`}>
          <span style={{ width: share(fn.done), background: colour }} />
          <span class="failed" style={{ width: share(fn.failed) }} />
          <span class="running" style={{ width: share(fn.running), background: colour }} />
        </div>
      </td>
      <td class="num secondary">{formatRate(fn.rate)}</td>
      <td class="num">{finished ? "done" : formatSeconds(fn.etaSeconds)}</td>
      <td class="num secondary">{formatMs(fn.durations.p50Ms)}</td>
      <td class="num secondary">{formatMs(fn.durations.p95Ms)}</td>
      <td class="num secondary">{fn.durations.count > 0 ? formatMs(fn.durations.maxMs) : "–"}</td>
    </tr>
  );
}

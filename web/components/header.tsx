import { useState } from "preact/hooks";
import type { DashboardUpdate } from "../../runtime/wire/dashboard.js";
import { stopRun } from "../api.js";
import type { LinkStatus } from "../connection.js";
import { formatCount, formatSeconds } from "../format.js";
import { CancelJob } from "./cancel-job.js";

const LINK_TEXT: Record<LinkStatus, string> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  ended: "run ended",
  refused: "disconnected",
};

/** The run at a glance: script, state, elapsed time, totals, overall progress, and the actions. */
export function Header({ update, link }: { update: DashboardUpdate; link: LinkStatus }) {
  const { run, totals } = update;
  const ended = totals.done + totals.failed;
  const progress = totals.queued > 0 ? ended / totals.queued : 0;
  return (
    <header class="run-header" data-testid="header">
      <div class="run-title">
        <span class="brand">strmbrkr</span>
        <h1 title={run.script}>{run.script}</h1>
        <span class={`badge state-${run.state}`} data-testid="run-state">
          {run.state}
        </span>
        <span class={`link link-${link}`} data-testid="link-status">
          {LINK_TEXT[link]}
        </span>
        <span class="run-facts">
          <span title="elapsed">{formatSeconds((run.now - run.startedAt) / 1000)}</span>
          <span title="the host's process id">pid {run.pid}</span>
        </span>
      </div>
      <dl class="totals" data-testid="totals">
        <Total label="Done" value={totals.done} testid="total-done" />
        <Total label="Failed" value={totals.failed} testid="total-failed" warn={totals.failed > 0} />
        <Total label="Running" value={totals.running} testid="total-running" />
        <Total label="Waiting" value={totals.waiting} testid="total-waiting" title="in the broker, not sent to a worker yet" />
        <Total label="Queued" value={totals.queued} testid="total-queued" title="submitted so far" />
      </dl>
      <div class="run-actions">
        <CancelJob disabled={run.state === "stopped"} />
        <StopRun state={run.state} />
      </div>
      <div
        class="run-progress"
        role="progressbar"
        aria-label="jobs ended of those queued"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(progress * 100)}
      >
        <span style={{ width: `${(totals.done / Math.max(1, totals.queued)) * 100}%` }} />
        <span class="failed" style={{ width: `${(totals.failed / Math.max(1, totals.queued)) * 100}%` }} />
      </div>
    </header>
  );
}

/** One of the big figures under the title: the dashboard's totals, the report's. */
export function Total(props: { label: string; value: number; testid: string; warn?: boolean; title?: string }) {
  return (
    <div class={props.warn ? "total warn" : "total"} title={props.title}>
      <dt>{props.label}</dt>
      <dd data-testid={props.testid}>{formatCount(props.value)}</dd>
    </div>
  );
}

/** Asks first: stopping ends the whole run, not one job. Once asked, it stays disabled: the next update says "stopping". */
function StopRun({ state }: { state: DashboardUpdate["run"]["state"] }) {
  const [requested, setRequested] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const onClick = async () => {
    if (!confirm("Stop the run? It stops as it would on Ctrl-C in its terminal.")) return;
    setRequested(true);
    setError(null);
    try {
      await stopRun();
    } catch (failure) {
      setError((failure as Error).message);
      setRequested(false);
    }
  };
  const label = state === "stopped" ? "Stopped" : state === "stopping" || requested ? "Stopping…" : "Stop run";
  return (
    <span class="action">
      <button type="button" class="danger" data-testid="stop-run" disabled={state !== "running" || requested} onClick={onClick}>
        {label}
      </button>
      {error && (
        <span class="action-error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

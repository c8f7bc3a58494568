import { useState } from "preact/hooks";
import type { WorkerView } from "../../runtime/wire/dashboard.js";
import { cancelJob } from "../api.js";
import { formatCount, formatMs, formatOptional } from "../format.js";
import type { FunctionColors } from "../theme.js";
import { compareWorkers } from "../worker-order.js";
import { Swatch, TableHead } from "./panel.js";

/** Label and class of each column; "secondary" ones are hidden on a phone. The last holds the cancel buttons. */
const COLUMNS: [string, string?][] = [
  ["Worker"],
  ["Machine", "secondary"],
  ["PID", "num secondary"],
  ["State"],
  ["Job"],
  ["For", "num"],
  ["Done", "num"],
  ["Failed", "num"],
  ["Restarts", "num secondary"],
  ["RSS MB", "num secondary"],
  ["CPU %", "num secondary"],
  ["", "actions"],
];

/** A row per registered worker: where it runs, what it runs now and for how long, its counts and resources. */
export function WorkersTable(props: { workers: readonly WorkerView[]; now: number; colors: FunctionColors; ended: boolean }) {
  if (props.workers.length === 0) return <p class="empty">No worker registered yet.</p>;
  const workers = [...props.workers].sort(compareWorkers);
  return (
    <div class="table-scroll tall">
      <table class="data" data-testid="workers">
        <TableHead columns={COLUMNS} />
        <tbody>
          {workers.map((worker) => (
            <WorkerRow key={worker.id} worker={worker} now={props.now} colors={props.colors} ended={props.ended} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WorkerRow({ worker, now, colors, ended }: { worker: WorkerView; now: number; colors: FunctionColors; ended: boolean }) {
  const job = worker.job;
  return (
    <tr data-testid="worker-row" data-worker={worker.id} data-state={worker.state}>
      <th scope="row" class="mono">
        {worker.id}
      </th>
      <td class={worker.machine === "local" ? "muted secondary" : "remote secondary"}>{worker.machine}</td>
      <td class="num secondary">{worker.pid}</td>
      <td>
        <span class={`dot state-${worker.state}`} />
        {worker.state}
      </td>
      <td class="job">
        {job ? (
          <>
            <Swatch colour={colors.cssVar(job.fn)} />
            {job.fn} <span class="muted mono">{job.id}</span>
          </>
        ) : (
          <span class="muted">–</span>
        )}
      </td>
      <td class="num">{job ? formatMs(Math.max(0, now - job.since)) : ""}</td>
      <td class="num">{formatCount(worker.done)}</td>
      <td class={worker.failed > 0 ? "num bad" : "num"}>{formatCount(worker.failed)}</td>
      <td class={worker.restarts > 0 ? "num secondary warn" : "num secondary"}>{formatCount(worker.restarts)}</td>
      <td class="num secondary">{formatOptional(worker.rssMb)}</td>
      <td class="num secondary">{formatOptional(worker.cpuPercent)}</td>
      <td class="actions">{job && <CancelButton key={job.id} jobId={job.id} disabled={ended} />}</td>
    </tr>
  );
}

/** Cancels the job the worker runs now. Keyed by the job: the next job in this row gets a fresh button. */
function CancelButton({ jobId, disabled }: { jobId: string; disabled: boolean }) {
  const [state, setState] = useState<{ pending: boolean; error?: string }>({ pending: false });
  const onClick = async () => {
    setState({ pending: true });
    try {
      await cancelJob(jobId);
      setState({ pending: true }); // stays disabled until the job leaves this row
    } catch (failure) {
      setState({ pending: false, error: (failure as Error).message });
    }
  };
  return (
    <>
      <button
        type="button"
        class="small"
        data-testid={`cancel-${jobId}`}
        disabled={disabled || state.pending}
        onClick={onClick}
        title={state.error}
      >
        {state.pending ? "Cancelling…" : "Cancel"}
      </button>
      {state.error && <span class="action-error">{state.error}</span>}
    </>
  );
}

import { useEffect, useLayoutEffect, useMemo, useState } from "preact/hooks";
import { SeriesCharts } from "../charts.js";
import type { Connection } from "../connection.js";
import { formatCount, formatPercent } from "../format.js";
import { FunctionColors } from "../theme.js";
import { DurationsPanel } from "./durations-panel.js";
import { FailuresList } from "./failures-list.js";
import { FunctionsTable } from "./functions-table.js";
import { Header } from "./header.js";
import { LogTail } from "./log-tail.js";
import { Panel } from "./panel.js";
import { StoreTable, storeMeta } from "./store-table.js";
import { TaskStreamCanvas } from "./task-stream-panel.js";
import { WorkersTable } from "./workers-table.js";

/** The whole page: renders the connection's latest update; each update re-renders it (they come about once a second). */
export function App({ connection }: { connection: Connection }) {
  const [, setVersion] = useState(0);
  const colors = useMemo(() => new FunctionColors(), []);
  useEffect(() => {
    const unsubscribe = connection.subscribe(() => setVersion((version) => version + 1));
    connection.start();
    return unsubscribe;
  }, [connection]);
  // For browser tests: set once the DOM shows the update, so waiting on the count means waiting on the page.
  useLayoutEffect(() => {
    document.body.dataset.updates = String(connection.updates);
    if (connection.update) document.body.dataset.lastUpdate = String(connection.update.run.now);
  });

  const update = connection.update;
  if (!update) {
    return (
      <p class="boot">{connection.status === "refused" ? "The dashboard's server refused the connection." : "Connecting to the run…"}</p>
    );
  }
  // Colours in the server's order of functions, so they do not depend on which slice came first.
  for (const fn of update.functions) colors.slot(fn.fn);
  const { run, functions, workers, failures } = update;
  const busy = workers.filter((worker) => worker.state === "busy").length;
  return (
    <>
      <Header update={update} link={connection.status} />
      <main class="grid">
        <Panel area="functions" title="Functions" meta={`${functions.length} ${functions.length === 1 ? "function" : "functions"}`}>
          <FunctionsTable functions={functions} colors={colors} />
        </Panel>
        <Panel area="stream" title="Task stream" meta={<StreamLegend kept={connection.slices.kept} limit={connection.slices.limit} />}>
          <TaskStreamCanvas connection={connection} colors={colors} />
        </Panel>
        <Panel area="charts" title="Throughput and queue">
          <SeriesCharts series={update.series} />
        </Panel>
        <Panel area="durations" title="Job durations">
          <DurationsPanel functions={functions} bounds={connection.bounds} colors={colors} />
        </Panel>
        <Panel area="workers" title="Workers" meta={`${busy} of ${workers.length} busy`}>
          <WorkersTable workers={workers} now={run.now} colors={colors} ended={run.state === "stopped"} />
        </Panel>
        <Panel area="failures" title="Failures" meta={failuresMeta(failures.length, update.totals.failed)}>
          <FailuresList failures={failures} colors={colors} />
        </Panel>
        <Panel area="log" title="Log" meta={update.log.length > 0 ? `last ${update.log.length} lines` : undefined}>
          <LogTail lines={update.log} />
        </Panel>
        <Panel area="store" title="Key-value store" meta={storeMeta(update.store)}>
          <StoreTable store={update.store} />
        </Panel>
        {update.pipeline && (
          <Panel area="pipeline" title="Pipeline">
            <pre class="pipeline" data-testid="pipeline">
              {update.pipeline}
            </pre>
          </Panel>
        )}
      </main>
    </>
  );
}

/** `kept` < 1: the window holds more jobs than it draws, evenly thinned (SliceWindow); say so. */
function StreamLegend({ kept, limit }: { kept: number; limit: number }) {
  return (
    <span class="legend">
      <span class="legend-item">
        <span class="legend-mark failed" /> failed
      </span>
      <span class="legend-item">
        <span class="legend-mark running" /> running now
      </span>
      <span
        class="muted"
        title={kept < 1 ? `more jobs ended than the ${limit} bars it keeps: about ${Math.round(kept * 100)}% drawn` : undefined}
      >
        {kept < 1 ? `last 60 s, ${formatPercent(kept)} of jobs drawn` : "last 60 s"}
      </span>
    </span>
  );
}

function failuresMeta(listed: number, total: number): string {
  if (total === 0) return "none";
  return listed < total ? `${formatCount(total)} in all, the last ${listed} shown` : `${formatCount(total)} in all`;
}

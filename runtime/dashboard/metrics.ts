import { Counter, Gauge, Registry, type Metric } from "prom-client";
import { residentBytes } from "../util/proc-stats.js";
import { runStats } from "../util/stats.js";
import { DURATION_BOUNDS_MS } from "../wire/dashboard.js";
import type { RunMonitor } from "./run-monitor.js";

/** The process ids /metrics reports the memory of; undefined while that process does not run. */
export interface RunProcesses {
  hub(): number | undefined;
  store(): number | undefined;
}

/** The Prometheus buckets: 1, 2.5 and 5 of each decade of the dashboard's finer ones (runtime/wire/dashboard.ts). */
const PROMETHEUS_BUCKETS = DURATION_BOUNDS_MS.flatMap((bound, index) => ([1, 2.5, 5].includes(mantissa(bound)) ? [index] : []));

/**
 * /metrics: the monitor's figures in the Prometheus text format, through prom-client. Each metric
 * reads the monitor when scraped (`collect`), so a job costs nothing here; the duration histogram
 * is the hub's (counted per job there), handed to prom-client as a metric of its own.
 */
export function runMetrics(monitor: RunMonitor, processes: RunProcesses): Registry {
  const registry = new Registry();
  const registers = [registry];
  new Counter({
    name: "strmbrkr_jobs_submitted_total",
    help: "Jobs queued, by function.",
    labelNames: ["function"],
    registers,
    collect() {
      this.reset();
      for (const fn of monitor.functions()) this.inc({ function: fn.fn }, fn.queued);
    },
  });
  new Counter({
    name: "strmbrkr_jobs_ended_total",
    help: "Jobs ended, by function and status (processed, failed).",
    labelNames: ["function", "status"],
    registers,
    collect() {
      this.reset();
      for (const fn of monitor.functions()) {
        this.inc({ function: fn.fn, status: "processed" }, fn.done);
        this.inc({ function: fn.fn, status: "failed" }, fn.failed);
      }
    },
  });
  new Gauge({
    name: "strmbrkr_jobs_running",
    help: "Jobs running on a worker now, by function.",
    labelNames: ["function"],
    registers,
    collect() {
      this.reset();
      for (const [fn, count] of Object.entries(monitor.activity?.running ?? {})) this.set({ function: fn }, count);
    },
  });
  new Gauge({
    name: "strmbrkr_queue_depth",
    help: "Jobs submitted and not ended yet (waiting, sent to a worker, or running).",
    registers,
    collect() {
      this.set(runStats.queued - runStats.processed - runStats.failed);
    },
  });
  new Gauge({
    name: "strmbrkr_jobs_waiting",
    help: "Jobs the broker holds that no worker has been sent yet (queued, or waiting out a retry's backoff).",
    registers,
    collect() {
      this.set(monitor.activity?.waiting ?? 0);
    },
  });
  new Gauge({
    name: "strmbrkr_workers",
    help: "Registered worker processes, by state (idle, busy, retiring) and location (local, or the remote machine's name).",
    labelNames: ["state", "location"],
    registers,
    collect() {
      this.reset();
      const counts = new Map<string, { state: string; location: string; count: number }>();
      for (const worker of monitor.activity?.workers ?? []) {
        const key = `${worker.state}\n${worker.machine}`;
        const entry = counts.get(key) ?? { state: worker.state, location: worker.machine, count: 0 };
        entry.count++;
        counts.set(key, entry);
      }
      for (const { state, location, count } of counts.values()) this.set({ state, location }, count);
    },
  });
  new Counter({
    name: "strmbrkr_store_operations_total",
    help: "Requests the key-value store has served.",
    registers,
    collect() {
      this.reset();
      this.inc(monitor.store?.operations ?? 0);
    },
  });
  new Gauge({
    name: "strmbrkr_store_keys",
    help: "Keys in the key-value store.",
    registers,
    collect() {
      this.set(monitor.store?.keys ?? 0);
    },
  });
  new Gauge({
    name: "strmbrkr_resident_memory_bytes",
    help: "Resident memory of the run's processes: host (this one), hub (broker and pools), store.",
    labelNames: ["process"],
    registers,
    collect() {
      this.reset();
      this.set({ process: "host" }, process.memoryUsage.rss());
      for (const [name, pid] of [
        ["hub", processes.hub()],
        ["store", processes.store()],
      ] as const) {
        const bytes = pid === undefined ? undefined : residentBytes(pid);
        if (bytes !== undefined) this.set({ process: name }, bytes);
      }
    },
  });
  registry.registerMetric(durationHistogram(monitor));
  return registry;
}

/** strmbrkr_job_duration_seconds: the hub's histogram by function, in Prometheus's shape (cumulative `le` buckets, sum, count). */
function durationHistogram(monitor: RunMonitor): Metric<string> {
  const name = "strmbrkr_job_duration_seconds";
  const metric = {
    name,
    help: "How long jobs ran on their worker, by function.",
    type: "histogram",
    aggregator: "sum",
    get() {
      const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
      for (const [fn, histogram] of Object.entries(monitor.activity?.durations ?? {})) {
        let cumulative = 0;
        let bucket = 0;
        for (const index of PROMETHEUS_BUCKETS) {
          while (bucket <= index) cumulative += histogram.buckets[bucket++]!;
          values.push({ metricName: `${name}_bucket`, labels: { le: DURATION_BOUNDS_MS[index]! / 1000, function: fn }, value: cumulative });
        }
        values.push({ metricName: `${name}_bucket`, labels: { le: "+Inf", function: fn }, value: histogram.count });
        values.push({ metricName: `${name}_sum`, labels: { function: fn }, value: histogram.sumMs / 1000 });
        values.push({ metricName: `${name}_count`, labels: { function: fn }, value: histogram.count });
      }
      return { name, help: metric.help, type: "histogram", aggregator: "sum", values };
    },
  };
  return metric as unknown as Metric<string>;
}

/** 2.5 for 250, 1 for 0.01. */
function mantissa(value: number): number {
  return Number((value / 10 ** Math.floor(Math.log10(value))).toPrecision(3));
}

import { basename } from "node:path";
import type { RunSummary } from "../wire/journal-report.js";
import type { JobSpan } from "./journal-run.js";

/**
 * A journal's jobs as a Chrome trace (the Trace Event Format's JSON object form), which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open: a process per run (pid = the run's index), a thread
 * per worker (tid = its pid, named "worker <pid>"; jobs with no worker on tid 0), a complete event
 * (`ph: "X"`) per job named after its function, failed ones coloured "terrible" (red). Times are
 * microseconds from the journal's first moment.
 *
 * Every job is kept, in columns (no object per job), and written as chunks of text, so a journal of
 * a million records makes a trace without holding its whole text at once.
 */
export class TraceEvents {
  readonly #runs: number[] = [];
  readonly #pids: number[] = [];
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  readonly #failed: boolean[] = [];
  readonly #fns: number[] = [];
  readonly #ids: string[] = [];
  readonly #fnIndex = new Map<string, number>();
  readonly #fnNames: string[] = [];
  #first = Infinity;

  /** Takes a job (`summarizeJournal`'s `onJob`). */
  readonly add = (span: JobSpan): void => {
    let fn = this.#fnIndex.get(span.fn);
    if (fn === undefined) {
      fn = this.#fnNames.push(span.fn) - 1;
      this.#fnIndex.set(span.fn, fn);
    }
    this.#runs.push(span.run);
    this.#pids.push(span.pid ?? 0);
    this.#starts.push(span.start);
    this.#ends.push(Math.max(span.start, span.end));
    this.#failed.push(!span.ok);
    this.#fns.push(fn);
    this.#ids.push(span.id);
    if (span.start < this.#first) this.#first = span.start;
  };

  /** Jobs taken so far. */
  get size(): number {
    return this.#ids.length;
  }

  /** The trace's JSON text, in chunks of about a thousand events; `runs` names the processes. */
  *chunks(runs: readonly RunSummary[]): Generator<Buffer> {
    const origin = Math.min(this.#first, ...runs.map((run) => run.at));
    const us = (ms: number) => Math.round((ms - origin) * 1000);
    yield Buffer.from(`{"displayTimeUnit":"ms","otherData":{"source":"strmbrkr report"},"traceEvents":[\n`);
    const events: string[] = [];
    // Each batch after the first starts with the comma the last batch's last event needs.
    let separator = "";
    const batch = () => {
      const text = `${separator}${events.join(",\n")}`;
      if (events.length > 0) separator = ",\n";
      events.length = 0;
      return Buffer.from(text);
    };
    for (const run of runs) {
      events.push(meta("process_name", run.index, 0, `run ${run.index}: ${basename(run.script)}`));
      events.push(json({ name: "process_sort_index", ph: "M", pid: run.index, tid: 0, args: { sort_index: run.index } }));
    }
    const threads = new Set<string>();
    for (let i = 0; i < this.#ids.length; i++) {
      const [pid, tid] = [this.#runs[i]!, this.#pids[i]!];
      const thread = `${pid} ${tid}`;
      if (!threads.has(thread)) {
        threads.add(thread);
        events.push(meta("thread_name", pid, tid, tid === 0 ? "no worker" : `worker ${tid}`));
      }
      const failed = this.#failed[i]!;
      const event = {
        name: this.#fnNames[this.#fns[i]!]!,
        cat: "job",
        ph: "X",
        ts: us(this.#starts[i]!),
        dur: Math.round((this.#ends[i]! - this.#starts[i]!) * 1000),
        pid,
        tid,
        args: { id: this.#ids[i]!, status: failed ? "failed" : "processed" },
        ...(failed ? { cname: "terrible" } : {}),
      };
      events.push(json(event));
      if (events.length >= 1000) yield batch();
    }
    yield batch();
    yield Buffer.from("\n]}\n");
  }
}

const json = (value: unknown) => JSON.stringify(value);

const meta = (name: string, pid: number, tid: number, label: string) => json({ name, ph: "M", pid, tid, args: { name: label } });

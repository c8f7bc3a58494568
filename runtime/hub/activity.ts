import { CpuSampler } from "../util/proc-stats.js";
import {
  bucketOf,
  DURATION_BOUNDS_MS,
  type DurationHistogram,
  type HubActivity,
  type TaskSlice,
  type WorkerView,
} from "../wire/dashboard.js";
import type { WorkerSlot } from "./worker-slots.js";

/**
 * Slices of the task stream kept per worker per report: the page draws the last minute, and a
 * worker ending 20,000 tiny jobs a second would otherwise cost the hub an object per job.
 */
const SLICES_PER_WORKER = 50;

/** Where a worker runs and how often its pool replaced one: what the hub's owner of the workers knows. */
export interface WorkerPlaces {
  /** The remote machine's name; undefined for a local worker. */
  machineOf(id: string): string | undefined;
  restartsOf(poolId: number): number;
}

/**
 * What the hub knows of the run that the dashboard shows and the host does not: durations by
 * function, a sampled task stream, and the workers. Exists only while the host watches
 * (`--dashboard`, `--metrics`); the broker calls it per result, so each call is a few counters.
 */
export class Activity {
  #durations = new Map<string, DurationHistogram>();
  /** The last function's histogram: jobs come in runs of one function. */
  #lastFn = "";
  #last?: DurationHistogram;
  #slices: TaskSlice[] = [];
  #cpu = new CpuSampler();

  /** A job ended on `slot`'s worker (its result, or the broker's verdict when the worker was killed or lost). */
  ended(slot: WorkerSlot, fn: string, ok: boolean, start: number, end: number, runMs: number | undefined): void {
    if (runMs !== undefined) this.#observe(fn, runMs);
    if (slot.slicesSampled >= SLICES_PER_WORKER) return;
    slot.slicesSampled++;
    this.#slices.push({ worker: slot.id, fn, start, end, ok });
  }

  /** The report since the last one: the slices go with it. */
  take(slots: readonly WorkerSlot[], waiting: number, places: WorkerPlaces): HubActivity {
    const now = Date.now();
    const running: Record<string, number> = {};
    const workers = slots.map((slot) => {
      const current = slot.jobs.first;
      if (current && !current.cancelled) running[current.queued.request.fn] = (running[current.queued.request.fn] ?? 0) + 1;
      return this.#view(slot, places, now);
    });
    this.#cpu.forget(new Set(slots.map((slot) => slot.pid)));
    const slices = this.#slices;
    this.#slices = [];
    for (const slot of slots) slot.slicesSampled = 0;
    return { at: now, workers, waiting, running, durations: Object.fromEntries(this.#durations), slices };
  }

  #view(slot: WorkerSlot, places: WorkerPlaces, now: number): WorkerView {
    const machine = places.machineOf(slot.id);
    const current = slot.jobs.first;
    const view: WorkerView = {
      id: slot.id,
      pid: slot.pid,
      machine: machine ?? "local",
      poolId: slot.poolId,
      state: slot.retiring ? "retiring" : current ? "busy" : "idle",
      done: slot.done,
      failed: slot.failed,
      restarts: machine === undefined ? places.restartsOf(slot.poolId) : 0,
    };
    if (current) view.job = { id: current.id, fn: current.queued.request.fn, since: Math.min(now, slot.runningSince) };
    if (slot.memoryMb > 0) view.rssMb = Math.round(slot.memoryMb * 10) / 10;
    if (machine === undefined) view.cpuPercent = this.#cpu.percent(slot.pid, now);
    return view;
  }

  #observe(fn: string, ms: number): void {
    let histogram = fn === this.#lastFn ? this.#last : this.#durations.get(fn);
    if (!histogram) {
      histogram = { buckets: new Array<number>(DURATION_BOUNDS_MS.length + 1).fill(0), count: 0, sumMs: 0, maxMs: 0 };
      this.#durations.set(fn, histogram);
    }
    this.#lastFn = fn;
    this.#last = histogram;
    histogram.buckets[bucketOf(ms)]!++;
    histogram.count++;
    histogram.sumMs += ms;
    if (ms > histogram.maxMs) histogram.maxMs = ms;
  }
}

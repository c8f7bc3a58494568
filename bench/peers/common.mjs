// Helpers shared by the peers' bench programs: timing, peak RSS, the JSON report line.
import { readFileSync } from "node:fs";
import { percentiles } from "../lib/percentiles.mjs";

export const WARMUP = 200;

/**
 * Runs `task(i)` one after another: WARMUP untimed, then `count` timed (p50/p99/max in µs), then
 * `count` more timed on the pool warmed by those (warmP50Us/warmP99Us).
 */
export async function latency(count, task) {
  const micros = [];
  for (let i = 0; i < WARMUP + 2 * count; i++) {
    const start = performance.now();
    const value = await task(i);
    if (value !== i) throw new Error(`task ${i} returned ${value}`);
    if (i >= WARMUP) micros.push((performance.now() - start) * 1000);
  }
  return percentiles(micros, count);
}

/** Queues `count` tasks at once (`task(i)` returns a promise of i); resolves with throughput and peak RSS. */
export async function tiny(count, task) {
  const rssBeforeBytes = process.memoryUsage.rss();
  const start = performance.now();
  const values = await Promise.all(Array.from({ length: count }, (_, i) => task(i)));
  const seconds = (performance.now() - start) / 1000;
  const wrong = values.filter((value, i) => value !== i).length;
  return {
    count,
    received: values.length,
    wrong,
    seconds,
    jobsPerSecond: count / seconds,
    rssBeforeBytes,
    peakRssBytes: highWaterMarkBytes(),
  };
}

export function highWaterMarkBytes() {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
}

export function report(result) {
  console.log(JSON.stringify(result));
}

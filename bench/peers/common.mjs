// Helpers shared by the peers' bench programs: timing, percentiles, peak RSS, the JSON report line.
import { readFileSync } from "node:fs";

export const WARMUP = 200;

/** Runs `task(i)` `count` times one after another; resolves with p50/p99/max in µs (after WARMUP untimed). */
export async function latency(count, task) {
  const micros = [];
  for (let i = 0; i < WARMUP + count; i++) {
    const start = performance.now();
    const value = await task(i);
    if (value !== i) throw new Error(`task ${i} returned ${value}`);
    if (i >= WARMUP) micros.push((performance.now() - start) * 1000);
  }
  micros.sort((a, b) => a - b);
  const at = (q) => micros[Math.min(micros.length - 1, Math.floor(q * micros.length))];
  return { samples: count, p50Us: at(0.5), p99Us: at(0.99), maxUs: micros[micros.length - 1] };
}

/** Queues `count` tasks at once (`task(i)` returns a promise of i); resolves with throughput and peak RSS. */
export async function tiny(count, task) {
  const rssBeforeBytes = process.memoryUsage.rss();
  const start = performance.now();
  const values = await Promise.all(Array.from({ length: count }, (_, i) => task(i)));
  const seconds = (performance.now() - start) / 1000;
  const wrong = values.filter((value, i) => value !== i).length;
  return { count, received: values.length, wrong, seconds, jobsPerSecond: count / seconds, rssBeforeBytes, peakRssBytes: highWaterMarkBytes() };
}

export function highWaterMarkBytes() {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
}

export function report(result) {
  console.log(JSON.stringify(result));
}

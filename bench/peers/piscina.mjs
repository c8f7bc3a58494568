// piscina with 2 worker threads, warmed up before timing.
//   node bench/peers/piscina.mjs tiny <count> | latency <samples> | cpu <jobs> <iterations>
import { Piscina } from "piscina";
import { latency, report, tiny } from "./common.mjs";

const THREADS = 2;
const [figure, a, b] = process.argv.slice(2);
const pool = new Piscina({ filename: new URL("./piscina-worker.mjs", import.meta.url).href, minThreads: THREADS, maxThreads: THREADS });
await Promise.all(Array.from({ length: THREADS * 4 }, (_, i) => pool.run(i)));

if (figure === "tiny") report(await tiny(Number(a), (i) => pool.run(i)));
else if (figure === "latency") report(await latency(Number(a), (i) => pool.run(i)));
else if (figure === "cpu") report(await cpu(Number(a), Number(b)));
else throw new Error(`unknown figure ${figure}`);
await pool.close();

async function cpu(count, iterations) {
  const start = performance.now();
  const results = await Promise.all(Array.from({ length: count }, () => pool.run(iterations, { name: "work" })));
  const wallMs = performance.now() - start;
  const busyMs = results.reduce((sum, { ms }) => sum + ms, 0);
  const idealMs = busyMs / THREADS;
  return { count, failed: 0, wallMs, busyMs, idealMs, efficiencyPct: (100 * idealMs) / wallMs };
}

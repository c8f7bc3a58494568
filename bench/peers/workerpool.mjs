// workerpool with 2 child processes, warmed up before timing.
//   node bench/peers/workerpool.mjs tiny <count> | latency <samples>
import workerpool from "workerpool";
import { fileURLToPath } from "node:url";
import { latency, report, tiny } from "./common.mjs";

const PROCESSES = 2;
const [figure, a] = process.argv.slice(2);
const pool = workerpool.pool(fileURLToPath(new URL("./workerpool-worker.mjs", import.meta.url)), {
  workerType: "process",
  minWorkers: PROCESSES,
  maxWorkers: PROCESSES,
});
await Promise.all(Array.from({ length: PROCESSES * 4 }, (_, i) => pool.exec("echo", [i])));

const echo = (i) => pool.exec("echo", [i]);
if (figure === "tiny") report(await tiny(Number(a), echo));
else if (figure === "latency") report(await latency(Number(a), echo));
else throw new Error(`unknown figure ${figure}`);
await pool.terminate();

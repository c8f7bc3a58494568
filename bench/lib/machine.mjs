// What the numbers were measured on: the machine, and the versions of strmbrkr and its peers.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";

export function machine() {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
  };
}

export function versions() {
  const of = (dir) => JSON.parse(readFileSync(new URL(`${dir}/package.json`, import.meta.url), "utf8")).version;
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["describe", "--always", "--dirty"], { cwd: new URL("../..", import.meta.url), encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  return {
    strmbrkr: `${of("../..")} (${commit})`,
    piscina: of("../node_modules/piscina"),
    workerpool: of("../node_modules/workerpool"),
    ioredis: of("../node_modules/ioredis"),
    zeromq: of("../../node_modules/zeromq"),
  };
}

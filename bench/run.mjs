// strmbrkr's benchmark driver: every figure of issue 6 for strmbrkr and its peers in one run,
// alternating them, several repetitions each; prints a Markdown table and writes bench/results.json.
//   node bench/run.mjs [--quick] [--reps N] [--only tiny,latency,cpu,scaling,startup,kvs,dashboard,journal]
// (npm run bench / npm run bench:quick build strmbrkr and install the peers first.)
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calibrate } from "./lib/burn.mjs";
import { dashboardPage } from "./lib/dashboard-page.mjs";
import { machine, versions } from "./lib/machine.mjs";
import { count, log, notes, peer, pick, repeat, strmbrkr } from "./lib/contest.mjs";
import { killTagged } from "./lib/proc.mjs";
import { ensureRedisInstalled, startRedis } from "./lib/redis.mjs";
import { summarize } from "./lib/stats.mjs";
import { goalLines, markdownTable, row } from "./lib/table.mjs";

const SIZES = {
  full: {
    reps: 5,
    tinyJobs: 100_000,
    latencySamples: 2_000,
    cpuJobs: 80,
    cpuShortJobs: 800,
    scalingSmall: 10_000,
    scalingLarge: 1_000_000,
    kvsSequential: 20_000,
    kvsInFlight: 100_000,
  },
  quick: {
    reps: 2,
    tinyJobs: 50_000,
    latencySamples: 500,
    cpuJobs: 80,
    cpuShortJobs: 800,
    scalingSmall: 10_000,
    scalingLarge: 100_000,
    kvsSequential: 5_000,
    kvsInFlight: 20_000,
  },
};
const FIGURES = { tiny: tinyJobs, latency, cpu: cpuBound, scaling, startup, kvs, dashboard, journal };

// ── figures: each runs its contestants alternately and returns its table rows ──

async function tinyJobs(size) {
  const n = size.tinyJobs;
  const jobsPerSecond = (result) => result.json.jobsPerSecond;
  const s = await repeat("tiny", size.reps, {
    strmbrkr: async () => jobsPerSecond(await strmbrkr("tiny.ts", 2, [n])),
    piscina: async () => jobsPerSecond(await peer("piscina.mjs", ["tiny", n])),
    workerpool: async () => jobsPerSecond(await peer("workerpool.mjs", ["tiny", n])),
  });
  const figure = `Tiny jobs: ${count(n)} no-ops queued at once, 2 workers`;
  return [
    row({ figure, unit: "jobs/s", peer: "piscina (2 threads)", strmbrkr: s.strmbrkr, peerValues: s.piscina, goal: { ratio: 3 } }),
    row({ figure, unit: "jobs/s", peer: "workerpool (2 processes)", strmbrkr: s.strmbrkr, peerValues: s.workerpool, goal: { ratio: 7 } }),
  ];
}

async function latency(size) {
  const n = size.latencySamples;
  const s = await repeat("latency", size.reps, {
    strmbrkr: async () => (await strmbrkr("latency.ts", 2, [n])).json,
    piscina: async () => (await peer("piscina.mjs", ["latency", n])).json,
    workerpool: async () => (await peer("workerpool.mjs", ["latency", n])).json,
  });
  // p50 and p99 are of the first `n` timed round trips (cold: no goal for p99); the warmed pool's p99 is of the `n` after those.
  // A lone job's goals are workerpool's, which is processes too: its p50 at most, and 1 ms for the warmed p99.
  const rows = [];
  const warmed = `a pool warmed by ${count(200 + n)} round trips`;
  for (const [field, label, goals] of [
    ["p50Us", "p50", { workerpool: { timesAtMost: 1, of: "workerpool" } }],
    ["p99Us", "p99 (cold)", {}],
    ["warmP99Us", `p99 on ${warmed}`, { workerpool: { atMost: 1000 } }],
  ]) {
    for (const [name, peerLabel] of [
      ["piscina", "piscina (2 threads)"],
      ["workerpool", "workerpool (2 processes)"],
    ]) {
      const goal = goals[name];
      const figure = `Latency ${label}: queue → result, one job at a time, 2 workers`;
      rows.push(
        row({
          figure,
          unit: "µs",
          lowerIsBetter: true,
          peer: peerLabel,
          strmbrkr: pick(s.strmbrkr, field),
          peerValues: pick(s[name], field),
          goal,
          digits: 0,
        }),
      );
    }
  }
  return rows;
}

async function cpuBound(size) {
  const iterations = calibrate(50);
  log(`cpu: ${count(iterations)} xorshift steps ≈ 50 ms in this process`);
  const efficiency = (result) => result.json.efficiencyPct;
  // The same 4 s of work twice: in 50 ms jobs (the goal's figure) and in 5 ms ones, where what a
  // job costs between jobs weighs ten times as much (reported without a goal).
  const rows = [];
  for (const [jobs, ms, goal] of [
    [size.cpuJobs, 50, { atLeast: 98 }],
    [size.cpuShortJobs, 5, undefined],
  ]) {
    const steps = Math.round((iterations * ms) / 50);
    const name = `cpu ${jobs}`;
    const s = await repeat(name, size.reps, {
      strmbrkr: async () => {
        const result = await strmbrkr("cpu.ts", 2, [jobs, steps]);
        const { beforeFirst, between, afterLast } = result.json.lostMs;
        log(
          `${name}: strmbrkr's wall time not in jobs, per worker: ${beforeFirst} ms before its first, ${between} ms between, ${afterLast} ms after its last`,
        );
        return efficiency(result);
      },
      piscina: async () => efficiency(await peer("piscina.mjs", ["cpu", jobs, steps])),
    });
    const figure = `CPU-bound: ${jobs} jobs × ${ms} ms, 2 workers, ideal ÷ wall time`;
    // Efficiency is itself a ratio (ideal ÷ wall time): piscina's level, 98 %, is the goal.
    rows.push(row({ figure, unit: "%", peer: "piscina (2 threads)", strmbrkr: s.strmbrkr, peerValues: s.piscina, goal, digits: 1 }));
  }
  return rows;
}

async function scaling(size) {
  const { scalingSmall: small, scalingLarge: large } = size;
  const measure = async (run) => {
    const few = (await run(small)).json;
    const many = (await run(large)).json;
    return {
      pct: (100 * many.jobsPerSecond) / few.jobsPerSecond,
      jobsPerSecond: many.jobsPerSecond,
      smallJobsPerSecond: few.jobsPerSecond,
      bytesPerJob: (many.peakRssBytes - many.rssBeforeBytes) / many.count,
      peakRssMiB: many.peakRssBytes / 1_048_576,
    };
  };
  const s = await repeat("scaling", size.reps, {
    strmbrkr: () => measure((n) => strmbrkr("tiny.ts", 2, [n])),
    piscina: () => measure((n) => peer("piscina.mjs", ["tiny", n])),
  });
  const peerLabel = "piscina (2 threads)";
  const rows = [
    ["pct", `Scaling: throughput at ${count(large)} jobs ÷ at ${count(small)}`, "%", { atLeast: 90 }, 1, false],
    ["smallJobsPerSecond", `Scaling: throughput at ${count(small)} jobs, 2 workers`, "jobs/s", undefined, 0, false],
    ["jobsPerSecond", `Scaling: throughput at ${count(large)} jobs, 2 workers`, "jobs/s", undefined, 0, false],
    ["bytesPerJob", `Scaling: host memory per queued job at ${count(large)}`, "bytes", { atMost: 300 }, 0, true],
    ["peakRssMiB", `Scaling: host peak RSS at ${count(large)} jobs`, "MiB", undefined, 0, true],
  ];
  return rows.map(([field, figure, unit, goal, digits, lowerIsBetter]) =>
    row({
      figure,
      unit,
      lowerIsBetter,
      peer: peerLabel,
      strmbrkr: pick(s.strmbrkr, field),
      peerValues: pick(s.piscina, field),
      goal,
      digits,
    }),
  );
}

async function startup(size) {
  const hello = () => strmbrkr("hello.ts", 4);
  const forkFour = () => peer("startup.mjs", []);
  await hello(); // untimed: fills the OS file cache (and strmbrkr's bundle cache, if it has one) for both
  await forkFour();
  const s = await repeat("startup", size.reps, {
    strmbrkr: async () => (await hello()).wallMs,
    fork4: async () => (await forkFour()).wallMs,
  });
  const figure = "Start-up: `strmbrkr run` hello world, 4 workers, command → exit";
  return [
    row({
      figure,
      unit: "ms",
      lowerIsBetter: true,
      peer: "node forking 4 children that import zeromq, until all ready, → exit",
      strmbrkr: s.strmbrkr,
      peerValues: s.fork4,
      goal: { timesAtMost: 1.3, of: "the bare forks" },
    }),
  ];
}

async function kvs(size) {
  let redis;
  try {
    ensureRedisInstalled();
    redis = await startRedis();
  } catch (error) {
    notes.push(`KVS peer unavailable: ${error.message}`);
  }
  try {
    const args = [size.kvsSequential, size.kvsInFlight];
    const s = await repeat("kvs", size.reps, {
      strmbrkr: async () => (await strmbrkr("kvs.ts", 1, args)).json,
      ...(redis && { redis: async () => (await peer("redis.mjs", [redis.port, ...args])).json }),
    });
    const peerLabel = `redis-server ${redis?.version ?? "(unavailable)"} + ioredis ${versions().ioredis}`;
    return [
      row({
        figure: "KVS: sequential set/get round trips, one client",
        unit: "ops/s",
        peer: peerLabel,
        strmbrkr: pick(s.strmbrkr, "sequentialOpsPerSecond"),
        peerValues: pick(s.redis ?? [], "sequentialOpsPerSecond"),
        // 1.2×, not 1×: a slow day takes a fifth off a figure this size, and it must stay ahead on one.
        goal: { ratio: 1.2 },
      }),
      row({
        figure: "KVS: set/get, 100 requests in flight, one client",
        unit: "ops/s",
        peer: peerLabel,
        strmbrkr: pick(s.strmbrkr, "inFlightOpsPerSecond"),
        peerValues: pick(s.redis ?? [], "inFlightOpsPerSecond"),
        goal: { ratio: 1 },
      }),
    ];
  } finally {
    await redis?.stop();
  }
}

/** Tiny jobs and CPU-bound as their own figures run them, without and with --dashboard and a page reading it. */
async function dashboard(size) {
  const updates = { tiny: [], cpu: [] };
  return costOf("dashboard", size, {
    ratios: { tiny: 0.97, cpu: 0.99 },
    runWith: async ({ name, script, args, figure }) => {
      const page = dashboardPage();
      const result = await strmbrkr(script, 2, args, { flags: ["--dashboard"], onStderr: page.onStderr });
      const { updates: n, state } = await page.read();
      updates[name].push(n);
      log(`dashboard: the page read ${n} update(s) of ${script}, the last "${state}"`);
      // Without a page this is not the figure asked for: the repetition fails, and so will the row.
      if (n === 0) throw new Error(`no page read the dashboard of ${script} (0 updates)`);
      return figure(result);
    },
    label: (name) => {
      const { min, max } = summarize(updates[name]);
      const read = min === undefined ? "no run finished" : `${min === max ? min : `${min}–${max}`} updates a run`;
      return `--dashboard with a page reading /events (${read})`;
    },
    // A run without a page did not measure what the goal is about: the row fails whatever its median.
    unmet: (name) => updates[name].includes(0),
  });
}

/** Tiny jobs and CPU-bound as their own figures run them, without and with --journal (a new file each run). */
async function journal(size) {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-bench-journal-"));
  const bytesPerJob = { tiny: [], cpu: [] };
  try {
    return await costOf("journal", size, {
      ratios: { tiny: 0.9, cpu: 0.99 },
      runWith: async ({ name, script, args, figure, jobs }) => {
        const file = join(dir, `${name}.journal`);
        rmSync(file, { force: true });
        const result = await strmbrkr(script, 2, args, { flags: ["--journal", file] });
        bytesPerJob[name].push(statSync(file).size / jobs);
        return figure(result);
      },
      label: (name) => {
        const { median } = summarize(bytesPerJob[name]);
        return `--journal (${median === undefined ? "no run finished" : `${Math.round(median)} journal bytes a job`})`;
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a flag costs: tiny jobs and CPU-bound, each run without and then with it (`runWith`), every
 * repetition; a row each, with ÷ without, against `ratios`' goals (a row `unmet` says failed whatever its ratio).
 */
async function costOf(name, size, { ratios, runWith, label, unmet = () => false }) {
  const iterations = calibrate(50);
  log(`${name}: cpu ${count(iterations)} xorshift steps ≈ 50 ms in this process`);
  const workloads = {
    tiny: { name: "tiny", script: "tiny.ts", args: [size.tinyJobs], jobs: size.tinyJobs, figure: (result) => result.json.jobsPerSecond },
    cpu: {
      name: "cpu",
      script: "cpu.ts",
      args: [size.cpuJobs, iterations],
      jobs: size.cpuJobs,
      figure: (result) => result.json.efficiencyPct,
    },
  };
  const without = async ({ script, args, figure }) => figure(await strmbrkr(script, 2, args));
  const s = await repeat(name, size.reps, {
    tinyWithout: () => without(workloads.tiny),
    tinyWith: () => runWith(workloads.tiny),
    cpuWithout: () => without(workloads.cpu),
    cpuWith: () => runWith(workloads.cpu),
  });
  const rows = [
    ["tiny", `Tiny jobs: ${count(size.tinyJobs)} no-ops queued at once, 2 workers`, "jobs/s", 0],
    ["cpu", `CPU-bound: ${size.cpuJobs} jobs × 50 ms, 2 workers, ideal ÷ wall time`, "%", 1],
  ];
  return rows.map(([workload, figure, unit, digits]) => {
    // Each repetition's with ÷ without (run back to back): on a shared machine, the spread says how far to trust the medians' ratio.
    const pairs = s[`${workload}With`].map((value, i) => value / s[`${workload}Without`][i]).filter(Number.isFinite);
    log(`${name}: ${workload} with ÷ without, per repetition: ${pairs.map((pair) => pair.toFixed(2)).join(" ")}`);
    const r = row({
      figure: `${figure}, ${label(workload)}`,
      unit,
      peer: `the same run without --${name}`,
      strmbrkr: s[`${workload}With`],
      peerValues: s[`${workload}Without`],
      goal: { ratio: ratios[workload], of: "without" },
      digits,
    });
    return { ...r, pairRatios: pairs, ...(unmet(workload) && { met: false }) };
  });
}

function parseOptions(argv) {
  const mode = argv.includes("--quick") ? "quick" : "full";
  const size = { ...SIZES[mode] };
  const reps = argv.indexOf("--reps");
  if (reps >= 0) size.reps = Number(argv[reps + 1]);
  const only = argv.indexOf("--only");
  const figures = only >= 0 ? argv[only + 1].split(",") : Object.keys(FIGURES);
  const unknown = figures.filter((name) => !FIGURES[name]);
  if (unknown.length > 0 || !(size.reps >= 1))
    throw new Error(`usage: node bench/run.mjs [--quick] [--reps N] [--only ${Object.keys(FIGURES).join(",")}]`);
  return { mode, size, figures };
}

async function main() {
  const { mode, size, figures } = parseOptions(process.argv.slice(2));
  const stop = (signal) => {
    killTagged();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", stop).once("SIGTERM", stop);
  const started = Date.now();
  const before = machine();
  log(
    `${mode} run: ${size.reps} repetitions of ${figures.join(", ")} on ${before.cpus} cores (${before.cpuModel}), node ${before.node}, load ${before.loadAverage.join(" ")}`,
  );
  const rows = [];
  try {
    for (const name of figures) {
      const figureStart = Date.now();
      rows.push(...(await FIGURES[name](size)));
      log(`${name} took ${((Date.now() - figureStart) / 1000).toFixed(1)} s`);
    }
  } finally {
    killTagged();
  }
  const table = markdownTable(rows);
  const seconds = (Date.now() - started) / 1000;
  const results = {
    date: new Date(started).toISOString(),
    mode,
    seconds,
    machine: before,
    loadAverageAfter: machine().loadAverage,
    versions: versions(),
    size,
    rows,
    notes,
  };
  writeFileSync(new URL("./results.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  console.log(table);
  console.log(`\n${goalLines(rows).join("\n")}`);
  console.log(
    `\n${mode} run, ${size.reps} repetitions, ${seconds.toFixed(0)} s; ${before.cpus} cores, node ${before.node}; load before ${before.loadAverage.join(" ")}, after ${results.loadAverageAfter.join(" ")}`,
  );
  for (const note of notes) console.log(`note: ${note}`);
  console.log("(also in bench/results.json)");
}

await main();

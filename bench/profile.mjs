// CPU profile of a tiny-jobs run: every process of `strmbrkr run bench/scripts/tiny.ts` writes a V8
// CPU profile (the host through --cpu-prof, its children through STRMBRKR_CPU_PROF_DIR, since
// Node 20 refuses --cpu-prof in NODE_OPTIONS); prints each process's top self-time functions.
//   node bench/profile.mjs [jobs] [top]      (default 100000 jobs, top 5; profiles kept in a temp dir)
//   node bench/profile.mjs --kvs [sequential] [in flight] [top]   the same for bench/scripts/kvs.ts (1 worker)
//   --dashboard (before the rest): the run serves its dashboard, and a page reads it (bench/lib/dashboard-page.mjs)
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { dashboardPage } from "./lib/dashboard-page.mjs";
import { ROOT, killTagged, newTag, runNode, taggedPids } from "./lib/proc.mjs";

const watched = process.argv[2] === "--dashboard";
const argv = process.argv.slice(watched ? 3 : 2);
const kvsMode = argv[0] === "--kvs";
const [first, second, third] = argv.slice(kvsMode ? 1 : 0);
const top = (kvsMode ? third : second) ?? (kvsMode ? "12" : "5");
const flags = watched ? ["--dashboard"] : []; // after the script: before it, the flag would take the script as its address
const script = kvsMode
  ? ["bench/scripts/kvs.ts", "--workers", "1", "--no-progress", ...flags, "--", first ?? "20000", second ?? "100000"]
  : ["bench/scripts/tiny.ts", "--workers", "2", "--no-progress", ...flags, "--", first ?? "100000", "stop-workers"];
const dir = mkdtempSync(join(tmpdir(), "strmbrkr-profile-"));
const tag = newTag();
const roles = new Map(); // pid → role, seen while the run goes
const watcher = setInterval(() => {
  // A forked child shows its parent's command line until it has exec'd: look again while it says "host".
  for (const pid of taggedPids(tag)) if (!roles.has(pid) || roles.get(pid) === "host") roles.set(pid, roleOf(pid));
}, 20);
const page = dashboardPage();
const result = await runNode([`--cpu-prof`, `--cpu-prof-dir=${dir}`, "bin/strmbrkr.js", "run", ...script], {
  tag,
  env: { STRMBRKR_CPU_PROF_DIR: dir },
  onStderr: page.onStderr,
});
clearInterval(watcher);
killTagged(tag);
console.log(`run: exit ${result.code}, ${result.stdout.trim()}`);
if (watched) console.log(`page: ${(await page.read()).updates} updates read`);
if (result.leftover.length) console.log(`left behind: ${result.leftover.map((p) => p.command).join("; ")}`);

for (const file of readdirSync(dir)
  .filter((name) => name.endsWith(".cpuprofile"))
  .sort()) {
  const pid = Number(file.split(".")[3]);
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8"));
  const { totalMs, rows } = selfTimes(profile);
  console.log(`\n${roles.get(pid) ?? "unknown"} (pid ${pid}): ${totalMs.toFixed(0)} ms sampled, ${file}`);
  for (const r of rows.slice(0, Number(top)))
    console.log(`  ${r.ms.toFixed(0).padStart(6)} ms ${((100 * r.ms) / totalMs).toFixed(1).padStart(5)} %  ${r.name}`);
}
console.log(`\nprofiles: ${dir} (open in Chrome DevTools → Performance, or speedscope)`);

/** Self time per function (name + location), idle excluded, largest first. */
function selfTimes({ nodes, samples, timeDeltas }) {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const totals = new Map();
  let totalMs = 0;
  for (let i = 0; i < samples.length; i++) {
    const { functionName, url, lineNumber } = byId.get(samples[i]).callFrame;
    if (functionName === "(idle)") continue;
    const ms = (timeDeltas[i + 1] ?? 0) / 1000;
    const where = url ? ` ${url.startsWith("file://") ? relative(ROOT, new URL(url).pathname) : url}:${lineNumber + 1}` : "";
    const name = `${functionName || "(anonymous)"}${where}`;
    totals.set(name, (totals.get(name) ?? 0) + ms);
    totalMs += ms;
  }
  return { totalMs, rows: [...totals].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms) };
}

function roleOf(pid) {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return (
      ["hub", "worker", "kvs"].find((role) => command.includes(`runtime/${role}/main.js`)) ??
      (command.includes("strmbrkr.js") ? "host" : command.split("\0")[0])
    );
  } catch {
    return "unknown";
  }
}

/**
 * `strmbrkr replay JOURNAL JOB_ID` through the built CLI, on the journal of a real run: a job that
 * returned prints its value and exits 0; one that threw prints its error with a stack at the
 * fixture's .ts line and exits 1; each says how it compares with the run. The store is a fresh one;
 * nested jobs are refused in one line. Bad input (an unknown id, no journal, a changed or missing
 * bundle, arguments kept as their digest, a corrupt or loose journal, a taken inspector port) gets
 * one line and exit 2. With --inspect, a CDP client (as DevTools) sees the job pause at the first
 * line of its function, resumes it, and the replay ends as without.
 */
import t from "tap";
import { spawn } from "node:child_process";
import { appendFileSync, chmodSync, copyFileSync, cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { SourceMap, type SourceMapping } from "node:module";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { fixture, lastJson, processesGone, strmbrkr, type RunResult } from "./lib/cli.js";
import { scratchDir } from "./lib/kvs-helpers.js";
import { launch } from "./lib/remote.js";

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const SCRIPT = fixture("replay-jobs.ts");
const lineOf = (text: string) =>
  readFileSync(SCRIPT, "utf8")
    .split("\n")
    .findIndex((line) => line.includes(text)) + 1;
/** divide's first line, where it throws. */
const THROW_LINE = lineOf("if (b === 0) throw new RangeError");
/** total's first line. */
const TOTAL_LINE = lineOf("const sum = numbers.reduce");

// One run for the whole file: its journal and the ids of its jobs, by function.
const dir = scratchDir(t, "strmbrkr-replay-test-");
const journal = join(dir, "run.journal");
let ids: Record<string, string>;

t.before(async () => {
  const run = await strmbrkr(["run", SCRIPT, "--workers", "2", "--no-progress", "--journal", journal], { timeoutMs: 60_000 });
  if (run.code !== 0) throw new Error(`the run failed (${run.code}): ${run.stderr}`);
  ids = Object.fromEntries(Object.entries(lastJson<Record<string, { id: string }>>(run.stdout)).map(([fn, { id }]) => [fn, id]));
});

const replay = (...args: string[]) => strmbrkr(["replay", ...args], { timeoutMs: 30_000 });

/** The run's bundle as kept beside the journal. */
const bundleOf = (path: string) => {
  const folder = `${path}.bundles`;
  return join(folder, readdirSync(folder)[0]!);
};

/** A copy of the journal and its bundles, to spoil. */
function copyJournal(name: string): string {
  const copy = join(dir, name);
  copyFileSync(journal, copy);
  cpSync(`${journal}.bundles`, `${copy}.bundles`, { recursive: true });
  return copy;
}

/** Exit 2 and exactly one line on stderr, which `expected` matches; nothing on stdout. */
function refused(t: Test, result: RunResult, expected: string | RegExp): void {
  t.equal(result.code, 2, "exit 2", { stderr: result.stderr });
  t.equal(result.stderr.split("\n").length, 2, "one line on stderr", { stderr: result.stderr });
  t.match(result.stderr, expected);
  t.equal(result.stdout, "", "nothing on stdout");
}

t.test("a job that returned: its value on stdout, exit 0, the same as the run recorded", { timeout: 60_000 }, async (t) => {
  const result = await replay(journal, ids.total!);
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr });
  t.equal(result.stdout, `${JSON.stringify({ label: "six", total: 6 })}\n`, "the value, as a JSON line");
  t.match(result.stderr, `strmbrkr: replaying job ${ids.total} (total) of the run of ${SCRIPT}`);
  t.match(result.stderr, 'strmbrkr: same as the run recorded (processed, returning {"label":"six","total":6})\n');
  t.same(await processesGone(result.instanceId), [], "no process is left");
});

t.test("a job that threw: its error, its stack at the fixture's line, exit 1", { timeout: 60_000 }, async (t) => {
  const result = await replay(journal, ids.divide!);
  t.equal(result.code, 1, "exit 1, as a run whose job failed", { stderr: result.stderr });
  t.equal(result.stdout, "");
  t.match(result.stderr, `strmbrkr: job ${ids.divide} (divide) failed:\nRangeError: cannot divide 1 by zero\n`);
  t.match(result.stderr, `    at divide (${SCRIPT}:${THROW_LINE}:`, "the stack names the .ts file and the line that threw");
  t.match(result.stderr, "strmbrkr: same as the run recorded (failed: RangeError: cannot divide 1 by zero)\n");
});

t.test("a job that uses the store gets a fresh, empty one, and says so", { timeout: 60_000 }, async (t) => {
  const result = await replay(journal, ids.remember!);
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr });
  t.same(JSON.parse(result.stdout), { before: null, after: "remembered" }, "main's value is not there; the job's own write is");
  t.match(
    result.stderr,
    'strmbrkr: different from the run, which recorded: processed, returning {"before":"set by main","after":"remembered"}\n',
  );
  t.match(result.stderr, "strmbrkr: the job used the key-value store: it had a fresh, empty one");
  t.same(await processesGone(result.instanceId), [], "the store stopped with the replay");
});

t.test("a job that queues a job of its own fails, its error saying why", { timeout: 60_000 }, async (t) => {
  const result = await replay(journal, ids.fanOut!);
  t.equal(result.code, 1, "exit 1", { stderr: result.stderr });
  t.match(
    result.stderr,
    `strmbrkr: job ${ids.fanOut} (fanOut) failed:\nError: a replayed job cannot queue jobs (QueueManager) or start workers (WorkerManager): strmbrkr replay runs it alone, with no broker or workers\nstrmbrkr: different from the run`,
  );
  t.same(await processesGone(result.instanceId), [], "no broker was started");
});

t.test("bad input: one line, exit 2", { timeout: 120_000 }, async (t) => {
  const [pid] = ids.total!.split("-");
  refused(
    t,
    await replay(journal, `${pid}-9`),
    `strmbrkr: journal ${journal} holds no job ${pid}-9 (5 jobs in 1 run); did you mean ${pid}-1, ${pid}-2, ${pid}-3?\n`,
  );
  refused(t, await replay(journal, "nonsense"), `holds no job nonsense (5 jobs in 1 run); its ids look like ${pid}-1 … ${pid}-5`);
  refused(t, await replay(join(dir, "no-such.journal"), ids.total!), `strmbrkr: journal ${join(dir, "no-such.journal")}: no such file\n`);
  refused(
    t,
    await replay(journal, ids.measure!),
    `strmbrkr: journal ${journal}: job ${ids.measure} (measure) had arguments over 64 KiB encoded, of which the journal keeps the digest alone: it cannot be replayed\n`,
  );

  const changed = copyJournal("changed.journal");
  appendFileSync(bundleOf(changed), "\n// edited\n");
  refused(
    t,
    await replay(changed, ids.total!),
    new RegExp(`^strmbrkr: journal bundle ${bundleOf(changed)} changed since its run \\(its SHA-256 is now [0-9a-f]{64}\\): refusing it`),
  );

  const missing = copyJournal("missing.journal");
  const gone = bundleOf(missing);
  rmSync(gone);
  refused(t, await replay(missing, ids.total!), `strmbrkr: journal ${missing}: the bundle of job ${ids.total}'s run, ${gone}, is missing`);

  const corrupt = copyJournal("corrupt.journal");
  const lines = readFileSync(corrupt, "utf8").split("\n");
  lines[1] = lines[1]!.replace('"fn":"total"', '"fn":"totaL"'); // the checksum no longer matches
  writeFileSync(corrupt, lines.join("\n"));
  refused(
    t,
    await replay(corrupt, ids.total!),
    `strmbrkr: journal ${corrupt}: line 2 is corrupt (checksum mismatch); refusing the journal, left as it is\n`,
  );

  const loose = copyJournal("loose.journal");
  chmodSync(loose, 0o620);
  refused(
    t,
    await replay(loose, ids.total!),
    `strmbrkr: journal ${loose} is writable by others (mode 0620): refusing it; chmod go-w it if it is yours\n`,
  );
  const looseBundle = copyJournal("loose-bundle.journal");
  chmodSync(bundleOf(looseBundle), 0o622);
  refused(t, await replay(looseBundle, ids.total!), `strmbrkr: journal bundle ${bundleOf(looseBundle)} is writable by others (mode 0622)`);

  refused(t, await replay(journal, ids.total!, "--inspect=nowhere"), 'strmbrkr: --inspect: "nowhere" is not [HOST:]PORT');
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as AddressInfo).port;
  refused(t, await replay(journal, ids.total!, `--inspect=127.0.0.1:${port}`), `strmbrkr: --inspect: 127.0.0.1:${port} is in use`);
});

/** Runs the CDP client fixture against `wsUrl`; resolves with the first pause it saw. */
function attachDebugger(t: Test, wsUrl: string): Promise<{ functionName: string; url: string; lineNumber: number; columnNumber: number }> {
  const major = Number(process.versions.node.split(".")[0]);
  const flags = major < 22 ? ["--experimental-websocket", "--no-warnings"] : [];
  const client = spawn(process.execPath, [...flags, fixture("cdp-pause.mjs"), wsUrl], { stdio: ["ignore", "pipe", "pipe"] });
  t.teardown(() => client.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  client.stdout.on("data", (chunk) => (stdout += chunk));
  client.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    client.stdout.on("data", () => {
      if (stdout.includes("\n")) resolve(JSON.parse(stdout.split("\n")[0]!));
    });
    client.on("close", (code) => reject(new Error(`the debugger exited (${code}) before a pause\nstdout: ${stdout}\nstderr: ${stderr}`)));
  });
}

t.test(
  "--inspect: a debugger sees the job pause at its function's first line, resumes it, and the replay ends",
  { timeout: 60_000 },
  async (t) => {
    for (const [fn, line, code] of [
      ["divide", THROW_LINE, 1],
      ["total", TOTAL_LINE, 0],
    ] as const) {
      const run = launch(t, ["replay", journal, ids[fn]!, "--inspect=127.0.0.1:0"], { timeoutMs: 45_000 });
      const [, wsUrl] = await run.waitFor(/waiting for a debugger on (ws:\/\/127\.0\.0\.1:\d+\/\S+): open chrome:\/\/inspect/, "stderr");
      t.notMatch(run.stderr, "strmbrkr: job", "the job waits for the debugger");
      const paused = await attachDebugger(t, wsUrl!);
      t.equal(paused.functionName, fn, `paused in ${fn}, not in the replay's own code`);
      t.match(paused.url, /\/bundle\.mjs$/, "in the run's bundle");
      const map = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(readFileSync(bundleOf(journal), "utf8"))!;
      const entry = new SourceMap(JSON.parse(Buffer.from(map[1]!, "base64").toString())).findEntry(
        paused.lineNumber,
        paused.columnNumber,
      ) as SourceMapping;
      t.match(entry.originalSource, /replay-jobs\.ts$/, "which maps to the fixture");
      t.equal(entry.originalLine + 1, line, `at ${fn}'s first line (${line})`);
      const done = await run.done;
      t.equal(done.code, code, `the replay then ends as without --inspect (exit ${code})`, { stderr: done.stderr });
      t.match(done.stderr, code === 0 ? "same as the run recorded (processed" : `at divide (${SCRIPT}:${THROW_LINE}:`);
      if (code === 0) t.equal(done.stdout, `${JSON.stringify({ label: "six", total: 6 })}\n`);
      t.match(done.stderr, /WARNING: --inspect: until the replay ends, any user of this machine can attach/, "the open door is named");
    }
  },
);

import t from "tap";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture, lastJson, processesGone, strmbrkrWatched, type RunResult } from "./lib/cli.js";

/** The `t` a subtest callback gets. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

/** Every STRMBRKR_ option of the test's own environment removed, so only what a test sets counts. */
const CLEAN_ENV: Record<string, string | undefined> = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith("STRMBRKR_") && name !== "STRMBRKR_INSTANCE_ID")
    .map((name) => [name, undefined]),
);

const scratchDirs: string[] = [];
t.teardown(() => scratchDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh, empty working directory, optionally with a `strmbrkr.env`. */
function workDir(envFile?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-config-test-"));
  scratchDirs.push(dir);
  if (envFile !== undefined) writeFileSync(join(dir, "strmbrkr.env"), envFile);
  return dir;
}

/** Runs strmbrkr with only `env`'s options set, noting the processes it started (see strmbrkrWatched). */
const run = (args: string[], { cwd = workDir(), env = {} }: { cwd?: string; env?: Record<string, string> } = {}) =>
  strmbrkrWatched(args, { cwd, env: { ...CLEAN_ENV, ...env }, timeoutMs: 30_000 });

/** The configuration the run logged (STRMBRKR_CONFIG_LOG_LEVEL=WARNING makes it show at the default log level). */
function loggedConfig(result: RunResult): Record<string, unknown> {
  const line = result.stderr.split("\n").find((text) => text.includes(" - strmbrkr.config - "));
  if (!line) throw new Error(`no configuration logged on stderr: ${result.stderr}`);
  return JSON.parse(line.slice(line.indexOf("configuration: ") + "configuration: ".length)) as Record<string, unknown>;
}

async function expectConfigError(t: Test, result: Awaited<ReturnType<typeof run>>, pattern: RegExp) {
  t.equal(result.code, 2, "exit code 2");
  t.match(result.stderr, pattern, "names the option and the value");
  t.equal(result.stderr.trim().split("\n").length, 1, `one line: ${result.stderr}`);
  t.equal(result.stdout, "", "main did not run");
  t.same(result.started, [], "no broker, key-value store or worker was started");
  t.same(await processesGone(result.instanceId), [], "no process left");
}

const BAD_VALUES: [name: string, value: string, pattern: RegExp][] = [
  ["STRMBRKR_WORKER_PROC_COUNT", "five", /^strmbrkr: STRMBRKR_WORKER_PROC_COUNT: "five" is not an integer$/m],
  ["STRMBRKR_LOGGING_LEVEL", "LOUD", /^strmbrkr: STRMBRKR_LOGGING_LEVEL: "LOUD" is not a log level/m],
  ["STRMBRKR_SOCKET_PROTOCOL", "udp", /^strmbrkr: STRMBRKR_SOCKET_PROTOCOL: "udp" is not a socket protocol/m],
  ["STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS", "maybe", /^strmbrkr: STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS: "maybe" is not a boolean/m],
  ["STRMBRKR_WORKER_WATCHDOG_TERMINATE_AFTER", "-1", /^strmbrkr: STRMBRKR_WORKER_WATCHDOG_TERMINATE_AFTER: "-1" must be at least 0/m],
  ["STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT", "soon", /^strmbrkr: STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT: "soon" is not an integer/m],
  ["STRMBRKR_SPIN_WAIT", "0.5", /^strmbrkr: STRMBRKR_SPIN_WAIT: "0.5" is not an integer/m],
  ["STRMBRKR_SPIN_WAIT", "20000", /^strmbrkr: STRMBRKR_SPIN_WAIT: "20000" must be at most 10000/m],
];

for (const [name, value, pattern] of BAD_VALUES) {
  t.test(`${name}=${value} in the environment`, async (t) => {
    // No flags: a flag would take the option's place.
    await expectConfigError(t, await run(["run", fixture("cli-print-workers.ts")], { env: { [name]: value } }), pattern);
  });
}

t.test("a bad value in strmbrkr.env names the option and the value", async (t) => {
  const cwd = workDir("STRMBRKR_SOCKET_PROTOCOL=udp\n");
  await expectConfigError(
    t,
    await run(["run", "-w", "1", fixture("cli-print-workers.ts")], { cwd }),
    /^strmbrkr: strmbrkr\.env:1: STRMBRKR_SOCKET_PROTOCOL: "udp" is not a socket protocol/,
  );
});

t.test("a line of strmbrkr.env that is not KEY=VALUE names the file and the line", async (t) => {
  const cwd = workDir("# settings\nSTRMBRKR_WORKER_PROC_COUNT=2\nthis is not a setting\n");
  await expectConfigError(
    t,
    await run(["run", "-w", "1", fixture("cli-print-workers.ts")], { cwd }),
    /strmbrkr\.env:3: expected KEY=VALUE, got "this is not a setting"/,
  );
});

t.test("strmbrkr.env in the cwd is honoured; the environment beats it; a CLI flag beats both", async (t) => {
  const cwd = workDir(
    [
      "# strmbrkr settings for this folder",
      "",
      'export STRMBRKR_WORKER_PROC_COUNT="3"',
      "STRMBRKR_WORKER_WATCHDOG_TERMINATE_AFTER='7'",
      "  export   STRMBRKR_KVS_CLIENT_SOCKET_ATTEMPTS = 2  # two tries",
      "STRMBRKR_CONFIG_LOG_LEVEL=WARNING",
      "",
    ].join("\n"),
  );
  const script = fixture("cli-print-workers.ts");

  const fromFile = await run(["run", script], { cwd });
  t.equal(fromFile.code, 0, `runs: ${fromFile.stderr}`);
  t.same(lastJson(fromFile.stdout), { workerCount: 3 }, "the file's worker count");
  t.match(
    loggedConfig(fromFile),
    { workerProcCount: 3, workerWatchdogTerminateAfter: 7, kvsClientSocketAttempts: 2, configLogLevel: "WARNING" },
    "comment lines, quotes, `export ` and trailing comments are handled",
  );
  t.same(await processesGone(fromFile.instanceId), [], "no process left");

  const fromEnv = await run(["run", script], { cwd, env: { STRMBRKR_WORKER_PROC_COUNT: "2" } });
  t.equal(fromEnv.code, 0, `runs: ${fromEnv.stderr}`);
  t.same(lastJson(fromEnv.stdout), { workerCount: 2 }, "the environment beats the file");
  t.match(
    loggedConfig(fromEnv),
    { workerProcCount: 2, workerWatchdogTerminateAfter: 7 },
    "the file still sets what the environment does not",
  );
  t.same(await processesGone(fromEnv.instanceId), [], "no process left");

  const fromFlag = await run(["run", script, "--workers", "1"], { cwd, env: { STRMBRKR_WORKER_PROC_COUNT: "2" } });
  t.equal(fromFlag.code, 0, `runs: ${fromFlag.stderr}`);
  t.same(lastJson(fromFlag.stdout), { workerCount: 1 }, "the flag beats the environment and the file");
  t.same(await processesGone(fromFlag.instanceId), [], "no process left");
});

t.test("strmbrkr.env next to the script but not in the cwd is not read", async (t) => {
  const scriptDir = workDir("STRMBRKR_WORKER_WATCHDOG_TERMINATE_AFTER=7\n");
  const script = join(scriptDir, "print-workers.ts");
  writeFileSync(
    script,
    "export default async function main({ workers }: any) { console.log(JSON.stringify({ workerCount: workers.workerCount })); }\n",
  );
  const result = await run(["run", script, "-w", "1"], { env: { STRMBRKR_CONFIG_LOG_LEVEL: "WARNING" } });
  t.equal(result.code, 0, `runs: ${result.stderr}`);
  t.same(lastJson(result.stdout), { workerCount: 1 });
  t.match(loggedConfig(result), { workerWatchdogTerminateAfter: 15 }, "the default, not the script folder's file");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

/** Runs three jobs in `cwd`; resolves with the pipeline report files written there. */
async function pipelineReports(t: Test, expected: boolean, env: Record<string, string>, cwd = workDir()): Promise<string[]> {
  const result = await run(["run", "-w", "1", fixture("cli-square.ts"), "--", "3"], {
    cwd,
    env: { STRMBRKR_CONFIG_LOG_LEVEL: "WARNING", ...env },
  });
  t.equal(result.code, 0, `runs: ${result.stderr}`);
  t.match(lastJson(result.stdout), { statuses: ["processed"], squares: [1, 4, 9] }, "the jobs ran");
  t.same(await processesGone(result.instanceId), [], "no process left");
  const dir = join(cwd, ".strmbrkr_pipelines");
  const reports = existsSync(dir) ? readdirSync(dir) : [];
  t.match(loggedConfig(result), { kvsDumpPipelineStatusReports: expected }, `the option is ${expected}`);
  return reports;
}

// "0" is covered below, where the environment overrides a file's "yes".
for (const value of ["False", "no"]) {
  t.test(`STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS=${value} is false: no pipeline reports`, async (t) => {
    t.same(await pipelineReports(t, false, { STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS: value }), [], "no report written");
  });
}

for (const value of ["True"]) {
  t.test(`STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS=${value} is true: a report per job`, async (t) => {
    const reports = await pipelineReports(t, true, { STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS: value });
    t.equal(reports.length, 3, `three reports: ${reports.join(", ")}`);
    t.ok(
      reports.every((name) => name.endsWith(".json")),
      "JSON files",
    );
  });
}

t.test('booleans in strmbrkr.env: "yes" is true, and 0 in the environment beats it', async (t) => {
  const envFile = 'export STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS="yes"\n';
  const reports = await pipelineReports(t, true, {}, workDir(envFile));
  t.equal(reports.length, 3, `the file turns reports on: ${reports.join(", ")}`);
  t.same(
    await pipelineReports(t, false, { STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS: "0" }, workDir(envFile)),
    [],
    "the environment turns them off",
  );
});

import t from "tap";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, fixture, lastJson, newInstanceId, processesGone, runNode, strmbrkr, type RunResult } from "./lib/cli.js";

/** The `t` a subtest callback gets. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const scratchDirs: string[] = [];
t.teardown(() => scratchDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh folder outside the package (no package.json above it). */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-run-test-"));
  scratchDirs.push(dir);
  return dir;
}

const lines = (text: string) => text.split("\n").filter((line) => line !== "");

async function expectSuccess(t: Test, result: RunResult) {
  t.equal(result.code, 0, `exit code 0; stderr: ${result.stderr}`);
  t.same(await processesGone(result.instanceId), [], "no process left");
}

t.test("examples/example.ts -- 0.01 prints its ten results and their total", async (t) => {
  // One worker: the example's own read-modify-write of sleep_sum is only exact when jobs do not overlap.
  const result = await strmbrkr(["run", "examples/example.ts", "-w", "1", "--", "0.01"], { timeoutMs: 30_000 });
  await expectSuccess(t, result);
  const out = lines(result.stdout);
  t.match(out[0], /^Completed processing in \d+(\.\d+)? seconds$/);
  const jobLines = out.filter((line) => line.startsWith("Job "));
  t.equal(jobLines.length, 10, "ten job lines");
  const returned = jobLines.map((line) => /^Job (\S+) returned processed: (\d+)$/.exec(line));
  t.ok(returned.every(Boolean), `every line is "Job <id> returned processed: <n>": ${jobLines.join(" | ")}`);
  const ids = returned.map((match) => match?.[1]);
  t.equal(new Set(ids).size, 10, "ten distinct job ids");
  const values = returned.map((match) => Number(match?.[2]));
  t.ok(
    values.every((n) => n >= 3 && n <= 9),
    `each slept 3-9 "seconds": ${values.join(" ")}`,
  );
  t.equal(out.at(-1), `Total time processed: ${values.reduce((sum, n) => sum + n, 0)}`, "the total is the sum of the results");
});

t.test("examples/monte-carlo-pi.ts -w 2 -- 2 estimates π", async (t) => {
  // Two chunks of 10⁷ darts, one a worker (and one more in main to compare): the estimate's standard error is ~4·10⁻⁴.
  const result = await strmbrkr(["run", "examples/monte-carlo-pi.ts", "-w", "2", "--", "2"], { timeoutMs: 30_000 });
  await expectSuccess(t, result);
  const match = /^π ≈ (3\.1\d+) from 20000000 darts$/m.exec(result.stdout);
  t.ok(match, `prints π ≈ 3.1…: ${result.stdout}`);
  t.ok(Math.abs(Number(match?.[1]) - Math.PI) < 0.01, `close to π: ${match?.[1]}`);
  t.match(result.stdout, /^2 workers: \d+\.\d+ s; one process/m, "reports the two workers");
});

t.test("examples/shared-state.ts prints its two lines", async (t) => {
  const result = await strmbrkr(["run", "examples/shared-state.ts", "-w", "2"], { timeoutMs: 30_000 });
  await expectSuccess(t, result);
  t.same(lines(result.stdout), ["20 candidates scored by the workers", "best candidate: 40 (score -2), cached: -2"]);
});

t.test("examples/typed.ts: submit, map, results with a priority, and a cancelled job", async (t) => {
  const result = await strmbrkr(["run", "examples/typed.ts", "-w", "2"], { timeoutMs: 60_000 });
  await expectSuccess(t, result);
  const out = lines(result.stdout);
  t.equal(out[0], "submit: 27 reaches 1 in 111 steps");
  t.equal(out[1], "map: below 100000, 77031 takes the most steps (350)");
  t.equal(out[2], "results: 4 jobs finished; the urgent one went out first");
  t.match(out[3], /^cancelled: Job \d+-\d+ \(forever\) was cancelled while running; its worker \(pid \d+\) was killed and replaced$/);
  t.equal(out.length, 4);
});

t.test("strmbrkr map examples/map.ts estimatePi over examples/pi-samples.jsonl", async (t) => {
  const result = await strmbrkr(["map", "examples/map.ts", "estimatePi", "--input", "examples/pi-samples.jsonl", "--ordered", "-w", "2"], {
    timeoutMs: 60_000,
  });
  await expectSuccess(t, result);
  const values = lines(result.stdout).map((line) => JSON.parse(line) as { seed: number; pi: number });
  t.same(
    values.map((value) => value.seed),
    [1, 2, 3, 4, 5, 6, 7, 8],
    "one line per input line, in order",
  );
  t.ok(
    values.every((value) => Math.abs(value.pi - Math.PI) < 0.01),
    "each close to π",
  );
});

t.test("node examples/library.mjs (library mode, no CLI)", async (t) => {
  const instanceId = newInstanceId();
  const result = await runNode(["examples/library.mjs"], { env: { STRMBRKR_INSTANCE_ID: instanceId }, timeoutMs: 30_000 });
  t.equal(result.instanceId, instanceId);
  await expectSuccess(t, result);
  t.same(lines(result.stdout), ["1 4 9 16"]);
});

t.test("a script in a folder without package.json imports strmbrkr, its own module and a node: builtin", async (t) => {
  const dir = scratch();
  writeFileSync(join(dir, "greeting.ts"), "export const greet = (name: string): string => `hello ${name}`;\n");
  writeFileSync(
    join(dir, "jobs.ts"),
    `import { basename } from "node:path";
import { Job, KeyValueStore, QueueManager, WorkerManager, type MainContext } from "strmbrkr";
import { greet } from "./greeting.js";

export async function hello(name: string): Promise<string> {
  await KeyValueStore.appendValue("names", name);
  return greet(name) + " from " + basename("/folder/worker");
}

export default async function main({ queue }: MainContext): Promise<void> {
  queue.queueJobs(new Job(hello, ["a"]), new Job(hello, ["b"]));
  await queue.blockUntilProcessed({ timeout: 20 });
  const retvals = queue.getResults().map((job) => job.retval).sort();
  const names = ((await KeyValueStore.getValue<string[]>("names")) ?? []).sort();
  console.log(JSON.stringify({ retvals, names, host: greet(basename("/x/main")), api: [typeof QueueManager, typeof WorkerManager] }));
}
`,
  );
  const result = await strmbrkr(["run", "jobs.ts", "-w", "1"], { cwd: dir, timeoutMs: 30_000 });
  await expectSuccess(t, result);
  t.same(lastJson(result.stdout), {
    retvals: ["hello a from worker", "hello b from worker"],
    names: ["a", "b"],
    host: "hello main",
    api: ["function", "function"],
  });
});

t.test("main that throws: exit 1, a stack pointing at the script's line", async (t) => {
  const result = await strmbrkr(["run", fixture("cli-main-throws.ts"), "-w", "1"], { timeoutMs: 30_000 });
  t.equal(result.code, 1, "exit code 1");
  t.match(result.stderr, "cli-main-throws: thrown on purpose", "the error's message");
  t.match(result.stderr, /cli-main-throws\.ts:5:\d+/, "the .ts file and the line of the throw");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("a script whose top level throws: exit 1", async (t) => {
  const result = await strmbrkr(["run", fixture("cli-top-level-throws.ts"), "-w", "1"], { timeoutMs: 30_000 });
  t.equal(result.code, 1, "exit code 1");
  t.match(result.stderr, "cli-top-level-throws: thrown at load", "the error's message");
  t.match(result.stderr, /cli-top-level-throws\.ts:5:\d+/, "the .ts file and the line of the throw");
  t.equal(result.stdout, "");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("arguments after -- reach main as strings", async (t) => {
  const argv = ["1", "two", "--three", "-4", "", "a b", "true", "--", "-w", "3"];
  const result = await strmbrkr(["run", fixture("cli-argv.ts"), "-w", "1", "--", ...argv], { timeoutMs: 30_000 });
  await expectSuccess(t, result);
  t.same(lastJson(result.stdout), { argv, types: argv.map(() => "string") });
});

t.test("arguments after -- that look like numbers reach main exactly as typed", async (t) => {
  const argv = ["1.50", "0x10", "1e3", "007", "+5", "2.0"];
  const result = await strmbrkr(["run", fixture("cli-argv.ts"), "-w", "1", "--", ...argv], { timeoutMs: 30_000 });
  await expectSuccess(t, result);
  t.same(lastJson(result.stdout), { argv, types: argv.map(() => "string") });
});

t.test("no arguments: main gets an empty argv", async (t) => {
  const result = await strmbrkr(["run", fixture("cli-argv.ts"), "-w", "1"], { timeoutMs: 30_000 });
  await expectSuccess(t, result);
  t.same(lastJson(result.stdout), { argv: [], types: [] });
});

t.test("--protocol ipc runs the jobs", async (t) => {
  const result = await strmbrkr(["run", fixture("cli-square.ts"), "-w", "2", "--protocol", "ipc", "--", "4"], {
    env: { STRMBRKR_CONFIG_LOG_LEVEL: "WARNING" },
    timeoutMs: 30_000,
  });
  await expectSuccess(t, result);
  t.match(result.stderr, /configuration: .*"socketProtocol":"ipc"/, "the run used ipc");
  t.same(lastJson(result.stdout), { statuses: ["processed"], squares: [1, 4, 9, 16], instanceId: result.instanceId });
});

t.test("two runs of the same script in the same folder at the same time", async (t) => {
  const dir = scratch();
  copyFileSync(fixture("cli-square.ts"), join(dir, "square.ts"));
  const [three, five] = await Promise.all([
    strmbrkr(["run", "square.ts", "-w", "1", "--", "3"], { cwd: dir, timeoutMs: 30_000 }),
    strmbrkr(["run", "square.ts", "-w", "1", "--", "5"], { cwd: dir, timeoutMs: 30_000 }),
  ]);
  await expectSuccess(t, three!);
  await expectSuccess(t, five!);
  t.same(
    lastJson(three!.stdout),
    { statuses: ["processed"], squares: [1, 4, 9], instanceId: three!.instanceId },
    "the first run's own results",
  );
  t.same(
    lastJson(five!.stdout),
    { statuses: ["processed"], squares: [1, 4, 9, 16, 25], instanceId: five!.instanceId },
    "the second run's own results",
  );
});

t.test("the examples run from another cwd", async (t) => {
  const result = await strmbrkr(["run", join(ROOT, "examples/shared-state.ts"), "-w", "1"], { cwd: scratch(), timeoutMs: 30_000 });
  await expectSuccess(t, result);
  t.equal(lines(result.stdout).length, 2);
});

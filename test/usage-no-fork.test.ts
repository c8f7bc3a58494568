/**
 * `strmbrkr run` forks its hub, and the hub its workers, before yargs loads (bin/strmbrkr.js): not for
 * a command line that cannot run (cli/run-check.ts). A usage error gives its one line and exit code 2
 * as yargs or the configuration reports it, and no process besides the CLI ever appears; a valid run
 * still forks early.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { fixture, newInstanceId, processesGone, strmbrkr, watchProcesses, type SeenProcess } from "./lib/cli.js";

const script = fixture("cli-print-workers.ts");
const empty = mkdtempSync(join(tmpdir(), "strmbrkr-usage-"));
t.teardown(() => rmSync(empty, { recursive: true, force: true }));

/** Runs `strmbrkr ARGS`, with every process of the run seen meanwhile besides the CLI itself. */
async function watched(args: string[], env: Record<string, string> = {}) {
  const instanceId = newInstanceId();
  const watch = watchProcesses(instanceId);
  let cli: number | undefined;
  const result = await strmbrkr(args, {
    env: { ...env, ...watch.env, STRMBRKR_INSTANCE_ID: instanceId },
    timeoutMs: 30_000,
    onSpawn: (child) => {
      cli = child.pid;
      if (cli !== undefined) watch.root(cli);
    },
  });
  const others: SeenProcess[] = watch.stop().filter(({ pid }) => pid !== cli);
  return { ...result, others };
}

const usageErrors: [string, string[], RegExp, Record<string, string>?][] = [
  ["run without a script", ["run"], /^strmbrkr: Not enough non-option arguments: got 0, need at least 1\n$/],
  ["a script that does not exist", ["run", "nosuch.ts"], /^strmbrkr: .*nosuch\.ts: no such file\n$/],
  ["a directory", ["run", "examples"], /^strmbrkr: .*examples: is a directory, not a job script\n$/],
  ["two scripts", ["run", script, "other.ts"], /^strmbrkr: unknown argument "other\.ts"\n$/],
  ["an unknown flag", ["run", script, "--bogus"], /^strmbrkr: unknown option --bogus\n$/],
  ["a near miss", ["run", "--worker", "2", script], /^strmbrkr: unknown option --worker; did you mean --workers\?/],
  ["an unknown short flag", ["run", script, "-x"], /^strmbrkr: unknown option -x\n$/],
  [
    "a flag without its value",
    ["run", script, "--workers"],
    /^strmbrkr: --workers \(STRMBRKR_WORKER_PROC_COUNT\): "" is not an integer\n$/,
  ],
  ["a bad flag value", ["run", script, "-w", "five"], /^strmbrkr: --workers \(STRMBRKR_WORKER_PROC_COUNT\): "five" is not an integer\n$/],
  [
    "a bad protocol",
    ["run", script, "--protocol", "udp"],
    /^strmbrkr: --protocol \(STRMBRKR_SOCKET_PROTOCOL\): "udp" is not a socket protocol/,
  ],
  [
    "a bad setting in the environment",
    ["run", script],
    /^strmbrkr: STRMBRKR_WORKER_PROC_COUNT: "many" is not an integer\n$/,
    { STRMBRKR_WORKER_PROC_COUNT: "many" },
  ],
];

for (const [what, args, message, env] of usageErrors) {
  t.test(`${what}: the usage error, and no hub or worker`, async (t) => {
    const result = await watched(args, env);
    t.equal(result.code, 2, "exit code 2");
    t.match(result.stderr, message, "one line names the problem");
    t.equal(result.stdout, "", "nothing on stdout");
    t.same(result.others, [], "no process besides the CLI");
    t.same(await processesGone(result.instanceId), [], "no process left");
  });
}

t.test("a usage error the early check cannot see: the hub and workers forked early leave with the CLI", async (t) => {
  const result = await watched(["run", script, "--workers", "1", "--key", "host.key"]);
  t.equal(result.code, 2, "exit code 2");
  t.match(result.stderr, /^strmbrkr: --key applies only with --listen tcp:\/\/HOST:PORT\n$/, "one line names the problem");
  t.ok(
    result.others.some(({ command, early }) => early && /runtime\/hub\/main\.js --prefork=1\b/.test(command)),
    "the hub was forked early",
    { others: result.others },
  );
  t.same(await processesGone(result.instanceId, 2_000), [], "no process left 2 s after the CLI exited");
});

t.test("--help forks nothing", async (t) => {
  const result = await watched(["run", "--help"]);
  t.equal(result.code, 0);
  t.match(result.stdout, /strmbrkr run <script>/);
  t.same(result.others, [], "no process besides the CLI");
});

t.test("a valid run still forks its hub and workers before the CLI loads", async (t) => {
  const result = await watched(["run", script, "--workers", "2"], { STRMBRKR_CACHE_DIR: empty });
  t.equal(result.code, 0, "the run succeeds", { stderr: result.stderr });
  const early = result.others.filter(({ early }) => early);
  t.ok(
    early.some(({ command }) => /runtime\/hub\/main\.js --prefork=2\b/.test(command)),
    "the hub, forked early with its guess",
    { early },
  );
  t.equal(early.filter(({ command }) => /runtime\/worker\/main\.js/.test(command)).length, 2, "its two workers, forked early", { early });
  t.same(await processesGone(result.instanceId), [], "no process left");
});

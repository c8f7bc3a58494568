import t from "tap";
import { readFileSync } from "node:fs";
import { ROOT, fixture, processesGone, strmbrkrWatched } from "./lib/cli.js";

/** The `t` a subtest callback gets. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const { version } = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { version: string };

const runWatched = (args: string[], env: Record<string, string | undefined> = {}) => strmbrkrWatched(args, { env, timeoutMs: 30_000 });

interface UsageErrorOptions {
  env?: Record<string, string | undefined>;
  /** True when the error must come before the broker, the KVS or any worker is started. */
  nothingStarted?: boolean;
}

/** A usage, configuration or script error: one line on stderr naming the problem, exit 2, nothing left running. */
async function expectUsageError(t: Test, args: string[], pattern: RegExp, { env = {}, nothingStarted = true }: UsageErrorOptions = {}) {
  const result = await runWatched(args, env);
  t.equal(result.code, 2, `exit code 2 for ${args.join(" ")}`);
  t.match(result.stderr, pattern, "stderr names the problem");
  t.match(result.stderr, /^strmbrkr: /, "the line starts with strmbrkr:");
  t.equal(result.stderr.trim().split("\n").length, 1, `one line: ${result.stderr}`);
  t.equal(result.stdout, "", "nothing on stdout");
  if (nothingStarted) t.same(result.started, [], "no broker, key-value store or worker was started");
  t.same(await processesGone(result.instanceId), [], "no process left");
}

t.test("missing script file", (t) => expectUsageError(t, ["run", "nope.ts"], /nope\.ts: no such file/));

t.test("--help exits 0 and lists the run command", async (t) => {
  const result = await runWatched(["--help"]);
  t.equal(result.code, 0);
  t.match(result.stdout, /strmbrkr run <script>/, "lists run");
  t.match(result.stdout, /--version/);
  // yargs lays the text out with string-width, which the build loads on its first call (build.mjs).
  const widest = Math.max(...result.stdout.split("\n").map((line) => line.length));
  t.ok(widest > 60 && widest <= 80, `laid out in 80 columns (widest line ${widest})`);
  t.match(result.stdout, /store and the workers, and run its\s+default export/, "wrapped between words");
  t.equal(result.stderr, "");
  t.same(result.started, [], "nothing started");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("run --help lists the run options", async (t) => {
  const result = await runWatched(["run", "--help"]);
  t.equal(result.code, 0);
  for (const option of ["--workers", "--watchdog", "--protocol", "--log-level", "--progress"])
    t.match(result.stdout, option, `lists ${option}`);
  t.equal(result.stderr, "");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("--version prints the package.json version", async (t) => {
  const result = await runWatched(["--version"]);
  t.equal(result.code, 0);
  t.equal(result.stdout.trim(), version);
  t.equal(result.stderr, "");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("unknown flag after run <script>", (t) =>
  expectUsageError(t, ["run", fixture("cli-print-workers.ts"), "--bogus"], /^strmbrkr: unknown option --bogus\n$/),
);

t.test("unknown short flag after run <script>", (t) =>
  expectUsageError(t, ["run", fixture("cli-print-workers.ts"), "-x"], /^strmbrkr: unknown option -x\n$/),
);

t.test("unknown flag before the command", (t) =>
  expectUsageError(
    t,
    ["--bogus", "run", fixture("cli-print-workers.ts")],
    /^strmbrkr: unknown option --bogus; unknown argument ".*cli-print-workers\.ts"\n$/,
  ),
);

t.test("unknown flag and no command", (t) => expectUsageError(t, ["--bogus"], /bogus/));

t.test("no command", (t) => expectUsageError(t, [], /name a command/));

t.test("run without a script", (t) => expectUsageError(t, ["run"], /argument/));

t.test("--workers -1", (t) =>
  expectUsageError(t, ["run", fixture("cli-print-workers.ts"), "--workers", "-1"], /--workers .*"-1" must be at least 1/),
);

t.test("--workers 0", (t) =>
  expectUsageError(t, ["run", fixture("cli-print-workers.ts"), "--workers", "0"], /--workers .*"0" must be at least 1/),
);

t.test("--workers five names the value given", (t) =>
  expectUsageError(t, ["run", fixture("cli-print-workers.ts"), "--workers", "five"], /--workers .*"five"/),
);

t.test("--watchdog soon names the value given", (t) =>
  expectUsageError(t, ["run", fixture("cli-print-workers.ts"), "--watchdog", "soon"], /--watchdog .*"soon"/),
);

t.test("--watchdog -3", (t) =>
  expectUsageError(t, ["run", fixture("cli-print-workers.ts"), "--watchdog", "-3"], /--watchdog .*"-3" must be at least 0/),
);

t.test("--protocol udp", (t) =>
  expectUsageError(t, ["run", fixture("cli-print-workers.ts"), "--protocol", "udp"], /--protocol .*"udp" is not a socket protocol/),
);

t.test("--log-level LOUD", (t) =>
  expectUsageError(t, ["run", fixture("cli-print-workers.ts"), "--log-level", "LOUD"], /--log-level .*"LOUD" is not a log level/),
);

t.test("a directory", (t) => expectUsageError(t, ["run", fixture("")], /fixtures\/?: is a directory/));

t.test("a file that is not JavaScript or TypeScript", (t) =>
  expectUsageError(t, ["run", fixture("cli-notes.txt")], /cli-notes\.txt: not a JavaScript or TypeScript file/),
);

t.test("a syntax error names file:line:col of the bad line", (t) =>
  expectUsageError(t, ["run", "test/fixtures/cli-syntax-error.ts"], /cli-syntax-error\.ts:4:\d+: error: /),
);

t.test("an unresolvable import names the module", (t) =>
  expectUsageError(t, ["run", fixture("cli-bad-import.ts")], /cli-bad-import\.ts:1:\d+: .*"strmbrkr-no-such-module"/),
);

// The broker and the KVS start while the bundle is imported, so these only check that nothing is left.
t.test("no default export", (t) =>
  expectUsageError(t, ["run", "-w", "1", fixture("cli-no-default.ts")], /cli-no-default\.ts: no default export/, { nothingStarted: false }),
);

t.test("a default export that is not a function", (t) =>
  expectUsageError(
    t,
    ["run", "-w", "1", fixture("cli-default-not-function.ts")],
    /cli-default-not-function\.ts: the default export must be a function.*got object/,
    {
      nothingStarted: false,
    },
  ),
);

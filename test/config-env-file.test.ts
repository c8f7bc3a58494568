/**
 * `strmbrkr.env` read as dotenv files are (quotes and a trailing comment together), errors that
 * name the file and the line, and one warning line for each STRMBRKR_ name that is no setting.
 */
import t from "tap";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture, lastJson, processesGone, strmbrkrWatched } from "./lib/cli.js";

/** Every STRMBRKR_ option of the test's own environment removed, so only what a test sets counts. */
const CLEAN_ENV: Record<string, string | undefined> = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith("STRMBRKR_") && name !== "STRMBRKR_INSTANCE_ID")
    .map((name) => [name, undefined]),
);

/** Runs cli-print-workers.ts in a fresh folder whose strmbrkr.env is `envFile`. */
function run(t: Tap, envFile: string, env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), "strmbrkr-env-file-test-"));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  writeFileSync(join(cwd, "strmbrkr.env"), envFile);
  return strmbrkrWatched(["run", fixture("cli-print-workers.ts")], { cwd, env: { ...CLEAN_ENV, ...env }, timeoutMs: 30_000 });
}
type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

t.test("a bad value in strmbrkr.env names the file and the line, quoted and commented or not", { timeout: 40_000 }, async (t) => {
  const result = await run(t, '# settings\n\nSTRMBRKR_WORKER_PROC_COUNT="x" # two\n');
  t.equal(result.code, 2, "exit 2");
  t.equal(
    result.stderr,
    'strmbrkr: strmbrkr.env:3: STRMBRKR_WORKER_PROC_COUNT: "x" is not an integer\n',
    "one line: file, line, option, value",
  );
  t.equal(result.stdout, "", "main did not run");
  t.same(result.started, [], "nothing started");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test(
  "a quoted value with a trailing comment; unknown STRMBRKR_ names warned about, with the closest known one",
  { timeout: 40_000 },
  async (t) => {
    // STRMBRKR_CPU_PROF_DIR is read elsewhere (empty: no profiles): no warning.
    const result = await run(t, 'STRMBRKR_WORKER_PROC_COUNT="2" # two\nSTRMBRKR_WORKERS=3\n', {
      STRMBRKR_LOGING_LEVEL: "DEBUG",
      STRMBRKR_CPU_PROF_DIR: "",
    });
    t.equal(result.code, 0, `runs: ${result.stderr}`);
    t.same(lastJson(result.stdout), { workerCount: 2 }, '"2" # two is 2');
    t.equal(
      result.stderr,
      "strmbrkr: WARNING: strmbrkr.env:2: STRMBRKR_WORKERS is not a strmbrkr setting; it is ignored (did you mean STRMBRKR_WORKER_PROC_COUNT?)\n" +
        "strmbrkr: WARNING: STRMBRKR_LOGING_LEVEL in the environment is not a strmbrkr setting; it is ignored (did you mean STRMBRKR_LOGGING_LEVEL?)\n",
      "one line each, and nothing else",
    );
    t.same(await processesGone(result.instanceId), [], "no process left");
  },
);

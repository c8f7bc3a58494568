/**
 * How `strmbrkr run` reads its command line without yargs (cli/run-check.ts): a line it reads starts
 * the run at once, and must come out exactly as yargs would hand it to the command's handler; any
 * other is left to yargs, which reports it (and a usage error forks no hub: usage-no-fork.test.ts).
 * It knows the flags from the table yargs is given (cli/session-flags.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import yargs from "yargs";
import { readRunLine } from "../cli/run-check.js";
import { runCommand } from "../cli/run.js";
import { PARSER_CONFIGURATION, SESSION_FLAGS } from "../cli/session-flags.js";
import { BIN, ROOT, fixture, lastJson, runNode } from "./lib/cli.js";
import type { TapTest } from "./lib/scenario.js";

const script = fixture("cli-print-workers.ts");

/** What yargs hands the run command's handler for `strmbrkr run ARGS`, configured as cli/main.ts configures it. */
function yargsReads(args: string[]): Record<string, unknown> {
  let handed: Record<string, unknown> | undefined;
  yargs(["run", ...args])
    .command({ ...runCommand, handler: (parsed) => void (handed = parsed) })
    .strict()
    .parserConfiguration(PARSER_CONFIGURATION)
    .fail((message, error) => {
      throw error ?? new Error(message);
    })
    .parseSync();
  return handed!;
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
/** The handler's inputs: the script, main's arguments and every flag, by the camelCase name the handler reads. */
const KEYS = ["script", "--", ...Object.keys(SESSION_FLAGS).map(camel)];
const inputs = (parsed: Record<string, unknown>) => Object.fromEntries(KEYS.map((key) => [key, parsed[key]]));

/** Asserts the line is read, and read as yargs reads it. */
function readAsYargs(t: TapTest, args: string[]): void {
  const line = readRunLine(args);
  if (!t.ok(line, `read: ${args.join(" ")}`)) return;
  t.same(inputs(line as Record<string, unknown>), inputs(yargsReads(args)), `as yargs reads it: ${args.join(" ")}`);
}

t.test("a command line it reads, as yargs reads it", async (t) => {
  const valid: string[][] = [
    [script],
    [script, "-w", "2"],
    ["-w", "2", script],
    [script, "--workers=3"],
    [script, "-w4"],
    [script, "-w=5"],
    [script, "--logLevel", "DEBUG"],
    [script, "--log-level=INFO"],
    [script, "--no-progress", "--typecheck", "--insecure"],
    [script, "--progress", "false", "--typecheck=true", "--insecure", "true"],
    [script, "--progress=false", "--no-typecheck"],
    ["--typecheck", script],
    [script, "--dashboard", "--metrics", "--kvs-snapshot", "--journal"],
    [script, "--dashboard", "--no-progress"],
    [script, "--journal", "j.jsonl", "--resume", "--watchdog", "0"],
    [script, "--journal", "j.jsonl", "--resume=any"],
    [script, "--listen", "tcp://127.0.0.1:*", "--key", "k", "--authorized-keys", "a.pub"],
    [script, "--dashboard=127.0.0.1:0", "--metrics", "0"],
    [script, "--", "--bogus", "more", "words", "12"],
    [script, "--"],
  ];
  for (const args of valid) readAsYargs(t, args);
});

t.test("a line left to yargs", async (t) => {
  const leftToYargs: [string, string[]][] = [
    ["no script", []],
    ["no script, a flag", ["-w", "2"]],
    ["no such file", ["nope.ts"]],
    ["a directory", [ROOT]],
    ["not a script", [`${ROOT}package.json`]],
    ["two scripts", [script, script]],
    ["an unknown flag", [script, "--bogus"]],
    ["an unknown short flag", [script, "-x"]],
    ["an unknown flag with a value", ["--worker=2", script]],
    ["a flag without its value", [script, "--workers"]],
    ["a flag followed by a flag", [script, "--workers", "--no-progress"]],
    ["an empty value", [script, "--protocol="]],
    ["a bad value", [script, "--workers", "five"]],
    ["a bad value, short", [script, "-w", "-1"]],
    ["a bad value, camelCase", [script, "--logLevel", "LOUD"]],
    ['a value given twice (yargs: an array, "2,3")', [script, "--workers", "2", "-w", "3"]],
    ["a boolean given twice (yargs: the last)", [script, "--no-progress", "--progress"]],
    ["a boolean with an odd value", [script, "--progress=yes"]],
    ["a value negated (yargs: false)", [script, "--no-workers"]],
    ["a boolean negated with a value", [script, "--no-progress=false"]],
    ["--help", [script, "--help"]],
    ["-h", ["-h", script]],
    ["--version", [script, "--version"]],
    ["the script after --", ["--", script]],
  ];
  for (const [what, args] of leftToYargs) t.equal(readRunLine(args), undefined, `${what}: ${args.join(" ")}`);
});

/** A good value of each flag ("" for a boolean): a flag added to the table without one here fails to compile. */
const SAMPLES: Record<keyof typeof SESSION_FLAGS, string> = {
  workers: "2",
  watchdog: "5",
  protocol: "ipc",
  "log-level": "DEBUG",
  "kvs-snapshot": "s.json",
  listen: "tcp://127.0.0.1:*",
  "authorized-keys": "a.pub",
  key: "k",
  insecure: "",
  dashboard: "127.0.0.1:0",
  metrics: "0",
  journal: "j.jsonl",
  resume: "any",
  progress: "",
  typecheck: "",
};

t.test("every flag yargs is given is read, as yargs reads it, in each spelling", async (t) => {
  for (const [name, value] of Object.entries(SAMPLES)) {
    const flag = SESSION_FLAGS[name as keyof typeof SAMPLES];
    const spellings =
      flag.type === "boolean"
        ? [[`--${name}`], [`--no-${name}`], [`--${name}=false`], [`--${name}`, "true"]]
        : [
            [`--${name}`, value],
            [`--${name}=${value}`],
            [`--${camel(name)}`, value],
            ...("alias" in flag ? [[`-${flag.alias}`, value]] : []),
          ];
    for (const spelling of spellings) readAsYargs(t, [script, ...spelling]);
  }
});

t.test("a line it reads runs without loading yargs; one it leaves to yargs, through yargs", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-imports-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [string, string[], boolean][] = [
    ["read", [script, "-w", "2", "--no-progress"], false],
    ["left to yargs (a flag given twice)", [script, "-w", "2", "--no-progress", "--progress", "false"], true],
  ];
  for (const [what, args, throughYargs] of cases) {
    const log = join(dir, `${what.split(" ")[0]}.log`);
    const result = await runNode(["--import", fixture("log-imports.mjs"), BIN, "run", ...args], { env: { IMPORT_LOG: log } });
    t.equal(result.code, 0, `${what}: exit 0`, { stderr: result.stderr });
    t.same(lastJson(result.stdout), { workerCount: 2 }, `${what}: main ran on 2 workers`);
    const imported = readFileSync(log, "utf8").split("\n");
    t.equal(
      imported.some((url) => url.endsWith("/dist/cli/main.js") || url.includes("/node_modules/yargs/")),
      throughYargs,
      `${what}: yargs ${throughYargs ? "" : "not "}loaded`,
    );
  }
});

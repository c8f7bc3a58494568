/**
 * The check `strmbrkr run` makes before yargs loads (cli/run-check.ts): a command line that cannot
 * run forks no hub. It knows the flags from the table yargs is given (cli/session-flags.ts).
 */
import t from "tap";
import { runCanStart } from "../cli/run-check.js";
import { SESSION_FLAGS } from "../cli/session-flags.js";
import { ROOT, fixture } from "./lib/cli.js";

const script = fixture("cli-print-workers.ts");

t.test("a command line that can run", async (t) => {
  const valid: string[][] = [
    [script],
    [script, "-w", "2"],
    ["-w", "2", script],
    [script, "--workers=3"],
    [script, "-w4"],
    [script, "-w=5"],
    [script, "--logLevel", "DEBUG"],
    [script, "--log-level=INFO"],
    [script, "--no-progress", "--progress", "false", "--typecheck", "--insecure"],
    [script, "--dashboard", "--metrics", "--kvs-snapshot", "--journal"],
    [script, "--journal", "j.jsonl", "--resume", "--watchdog", "0"],
    [script, "--listen", "tcp://127.0.0.1:*", "--key", "k", "--authorized-keys", "a.pub"],
    [script, "--", "--bogus", "more", "words"],
  ];
  for (const args of valid) t.ok(runCanStart(args), args.join(" "));
});

t.test("a usage error: no early hub", async (t) => {
  const invalid: [string, string[]][] = [
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
    ["a value negated (yargs: false)", [script, "--no-workers"]],
    ["--help", [script, "--help"]],
    ["-h", ["-h", script]],
    ["--version", [script, "--version"]],
  ];
  for (const [what, args] of invalid) t.notOk(runCanStart(args), `${what}: ${args.join(" ")}`);
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

t.test("every flag yargs is given is known to the check", async (t) => {
  for (const [name, value] of Object.entries(SAMPLES)) {
    const args = SESSION_FLAGS[name as keyof typeof SAMPLES].type === "boolean" ? [`--${name}`] : [`--${name}`, value];
    t.ok(runCanStart([script, ...args]), args.join(" "));
  }
});

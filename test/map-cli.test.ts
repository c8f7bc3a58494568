import t from "tap";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, fixture, newInstanceId, processesGone, strmbrkr, type RunResult } from "./lib/cli.js";
import type { TapTest } from "./lib/scenario.js";

const SCRIPT = fixture("map-fns.ts");

async function map(t: TapTest, args: string[], stdin?: string): Promise<RunResult> {
  const result = await strmbrkr(["map", SCRIPT, ...args, "--workers", "2", "--no-progress"], { stdin });
  t.same(await processesGone(result.instanceId), [], "no process of the run is left");
  return result;
}

const lines = (text: string) => text.split("\n").filter((line) => line !== "");

t.test("map over a file: values in input order, failures on stderr with their line numbers, exit 1", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-map-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "in.jsonl"), ["1", "2", "", "[3]", "7", "{oops", "5"].join("\n") + "\n");
  const result = await map(t, ["square", "--input", join(dir, "in.jsonl"), "--output", join(dir, "out.jsonl"), "--ordered"]);
  t.equal(result.code, 1, "a line failed", { stderr: result.stderr });
  t.same(
    readFileSync(join(dir, "out.jsonl"), "utf8").split("\n"),
    ["1", "4", "null", "9", "null", "null", "25", ""],
    "one line per input line, in input order: null for a blank or failed line",
  );
  const [seven, notJson, count, ...rest] = lines(result.stderr);
  t.equal(seven, "strmbrkr: line 5: TypeError: seven is not allowed");
  t.match(notJson, /^strmbrkr: line 6: SyntaxError: not JSON: Expected property name/);
  t.equal(count, "strmbrkr: 2 of 7 input lines failed");
  t.same(rest, [], "nothing else on stderr");
  t.equal(result.stdout, "", "nothing on stdout when --output is a file");
});

t.test("map from stdin to stdout composes with pipes; a JSON array is the argument list", async (t) => {
  const input = Array.from({ length: 40 }, (_, i) => JSON.stringify([i, 100])).join("\n");
  const result = await map(t, ["add", "--input", "-"], input);
  t.equal(result.code, 0, "every line succeeded", { stderr: result.stderr });
  t.same(
    lines(result.stdout)
      .map(Number)
      .sort((a, b) => a - b),
    Array.from({ length: 40 }, (_, i) => i + 100),
  );
});

t.test("unordered map writes values as jobs finish; --ordered keeps input order with a small window", async (t) => {
  const count = 200; // twelve windows of 16 in flight
  const input = Array.from({ length: count }, (_, i) => String(i)).join("\n");
  const ordered = await map(t, ["late", "-i", "-", "--ordered", "--in-flight", "16"], input);
  t.equal(ordered.code, 0, "", { stderr: ordered.stderr });
  t.same(
    lines(ordered.stdout).map(Number),
    Array.from({ length: count }, (_, i) => i),
    `${count} values in input order`,
  );
  const unordered = await map(t, ["late", "-i", "-", "--in-flight", "16"], input);
  t.equal(unordered.code, 0);
  const values = lines(unordered.stdout).map(Number);
  t.same(
    [...values].sort((a, b) => a - b),
    Array.from({ length: count }, (_, i) => i),
    "every value once",
  );
  t.notSame(
    values,
    [...values].sort((a, b) => a - b),
    "in finishing order, not input order",
  );
});

t.test("--errors FILE takes the failures as JSON lines; a BigInt is written as a string", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-map-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const result = await map(t, ["square", "-i", "-", "--errors", join(dir, "errors.jsonl")], "7\n2\n7\n");
  t.equal(result.code, 1);
  const errors = lines(readFileSync(join(dir, "errors.jsonl"), "utf8")).map((line) => JSON.parse(line));
  t.same(errors.map((e: { line: number }) => e.line).sort(), [1, 3]);
  t.match(errors[0].error, { name: "TypeError", message: "seven is not allowed" });
  t.same(lines(result.stderr), ["strmbrkr: 2 of 3 input lines failed"], "stderr has only the count");
  t.equal(result.stdout, "4\n");
  const huge = await map(t, ["huge", "-i", "-"], "[]\n");
  t.equal(huge.code, 0, "", { stderr: huge.stderr });
  t.equal(huge.stdout, '"1180591620717411303424"\n');
});

t.test("bad input to the command: one clear line, exit 2, nothing left running", async (t) => {
  const cases: [string[], RegExp][] = [
    [["nope", "-i", "-"], /^strmbrkr: .*map-fns\.ts: nope is not an exported function \(exported functions: add, huge, late, square\)\n$/],
    [["notAFunction", "-i", "-"], /notAFunction is not an exported function/],
    [["square", "-i", "/no/such/file.jsonl"], /^strmbrkr: --input \/no\/such\/file\.jsonl: ENOENT/],
    [["square", "-i", "-", "--in-flight", "0"], /^strmbrkr: --in-flight must be an integer >= 1, got "0"\n$/],
    [["square", "-i", "-", "--timeout", "soon"], /^strmbrkr: --timeout must be a number of seconds > 0, got "soon"\n$/],
    [["square"], /Missing required argument: input/],
  ];
  for (const [args, stderr] of cases) {
    const result = await map(t, args, "1\n");
    t.equal(result.code, 2, args.join(" "));
    t.match(result.stderr, stderr, args.join(" "));
  }
});

t.test("a reader that goes away (| head -n 2) stops the map quietly with 141, as SIGPIPE would", async (t) => {
  const instanceId = newInstanceId();
  const command = `seq 1 100000 | "${process.execPath}" "${BIN}" map "${SCRIPT}" add -i - -w 2 | head -n 2; echo "status \${PIPESTATUS[1]}" >&2`;
  const result = spawnSync("bash", ["-c", command], {
    encoding: "utf8",
    env: { ...process.env, STRMBRKR_INSTANCE_ID: instanceId },
    timeout: 60_000,
  });
  t.equal(lines(result.stdout).length, 2, "head printed its two lines");
  t.same(lines(result.stderr), ["status 141"], "nothing but the status on stderr");
  t.same(await processesGone(instanceId), [], "no process of the run is left");
});

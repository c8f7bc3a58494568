import t from "tap";
import { spawnSync } from "node:child_process";
import { chmodSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TapTest } from "./lib/scenario.js";
import { BIN, fixture, newInstanceId, processesGone, strmbrkr, strmbrkrWatched } from "./lib/cli.js";

const SCRIPT = fixture("map-values.ts");

function folder(t: TapTest): string {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-map-out-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test("an output that is the input, by any name, is refused before anything is written", { timeout: 60_000 }, async (t) => {
  const dir = folder(t);
  const input = join(dir, "in.jsonl");
  writeFileSync(input, "1\n2\n");
  symlinkSync(input, join(dir, "symlink.jsonl"));
  linkSync(input, join(dir, "hardlink.jsonl"));
  for (const [flag, name, extra] of [
    ["--output", "in.jsonl", ["--ordered"]],
    ["--output", "symlink.jsonl", []],
    ["--errors", "hardlink.jsonl", []],
  ] as const) {
    const result = await strmbrkrWatched(["map", SCRIPT, "check", "-i", input, flag, join(dir, name), ...extra, "--no-progress"]);
    t.equal(result.code, 2, `${flag} ${name} ${extra.join(" ")}`);
    t.equal(
      result.stderr,
      `strmbrkr: ${flag} ${join(dir, name)} is the input file; writing it would destroy the input (write elsewhere, then rename)\n`,
    );
    t.same(result.started, [], "no worker started");
  }
  t.equal(readFileSync(input, "utf8"), "1\n2\n", "the input is intact");
  t.same(readdirSync(dir).sort(), ["hardlink.jsonl", "in.jsonl", "symlink.jsonl"], "no file was created");
});

t.test("an output path that cannot be written is refused before the first job, naming the flag", { timeout: 60_000 }, async (t) => {
  const dir = folder(t);
  const cases: [string[], string][] = [
    [["--errors", "/nonexistent/e.jsonl"], "strmbrkr: --errors /nonexistent/e.jsonl: no such folder /nonexistent\n"],
    [["--output", dir], `strmbrkr: --output ${dir} is a directory\n`],
  ];
  for (const [args, stderr] of cases) {
    const result = await strmbrkrWatched(["map", SCRIPT, "check", "-i", "-", ...args, "--no-progress"], { stdin: "1\n" });
    t.equal(result.code, 2, args.join(" "));
    t.equal(result.stderr, stderr);
    t.same(result.started, [], "no worker started");
  }
});

t.test(
  "--output and --errors FILE replace the old file only once every line is written; its mode is kept",
  { timeout: 60_000 },
  async (t) => {
    const dir = folder(t);
    writeFileSync(join(dir, "out.jsonl"), "old\n");
    chmodSync(join(dir, "out.jsonl"), 0o640);
    const result = await strmbrkr(
      [
        "map",
        SCRIPT,
        "check",
        "-i",
        "-",
        "-o",
        join(dir, "out.jsonl"),
        "--errors",
        join(dir, "err.jsonl"),
        "--ordered",
        "-w",
        "2",
        "--no-progress",
      ],
      { stdin: "1\n7\n3\n" },
    );
    t.equal(result.code, 1, "a line failed", { stderr: result.stderr });
    t.equal(readFileSync(join(dir, "out.jsonl"), "utf8"), "1\nnull\n3\n", "the new values, null for the failed line");
    t.equal(statSync(join(dir, "out.jsonl")).mode & 0o777, 0o640, "the replaced file keeps its mode");
    t.match(JSON.parse(readFileSync(join(dir, "err.jsonl"), "utf8")), {
      line: 2,
      error: { name: "TypeError", message: "seven is not allowed" },
    });
    t.equal(statSync(join(dir, "err.jsonl")).mode & 0o777, 0o600, "a new file is private");
    t.same(readdirSync(dir).sort(), ["err.jsonl", "out.jsonl"], "no temporary file is left");
  },
);

t.test("Ctrl-C during a map leaves the old output file intact and no temporary file", { timeout: 60_000 }, async (t) => {
  const dir = folder(t);
  writeFileSync(join(dir, "in.jsonl"), "1\n2\n3\n");
  writeFileSync(join(dir, "out.jsonl"), "old\n");
  const result = await strmbrkr(
    ["map", SCRIPT, "stall", "-i", join(dir, "in.jsonl"), "-o", join(dir, "out.jsonl"), "-w", "2", "--no-progress"],
    {
      env: { STRMBRKR_SHUTDOWN_GRACE: "0" },
      // Line 1 fails at once: its line on stderr says the map is under way (the others wait a minute).
      onSpawn: (child) => child.stderr!.on("data", (chunk: Buffer) => String(chunk).includes("line 1:") && child.kill("SIGINT")),
    },
  );
  t.equal(result.code, 130, "exit 130, as for SIGINT", { stderr: result.stderr });
  t.equal(readFileSync(join(dir, "out.jsonl"), "utf8"), "old\n", "the old output is intact");
  t.same(readdirSync(dir).sort(), ["in.jsonl", "out.jsonl"], "no temporary file is left");
  t.same(await processesGone(result.instanceId), [], "no process of the run is left");
});

t.test("with the progress line on a terminal, the failure count is said once, in input lines", { timeout: 60_000 }, async (t) => {
  const instanceId = newInstanceId();
  // `script` gives the run a terminal, so the progress line and its summary show.
  const command = `printf '1\\n7\\n3\\n{bad\\n' | "${process.execPath}" "${BIN}" map "${SCRIPT}" check -i - -w 2 > /dev/null`;
  const result = spawnSync("script", ["-qec", command, "/dev/null"], {
    encoding: "utf8",
    env: { ...process.env, STRMBRKR_INSTANCE_ID: instanceId },
    timeout: 50_000,
  });
  const lines = result.stdout
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/\x1b\[2K/g, ""))
    .filter((line) => line.startsWith("strmbrkr:"));
  t.equal(lines.length, 3, "two failures and one summary", { lines });
  t.match(lines[2], /^strmbrkr: 4\/4 lines done, 2 failed, [\d.]+ lines\/s in [\d.]+ s$/);
  t.same(await processesGone(instanceId), [], "no process of the run is left");
});

import t from "tap";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture, processesGone, strmbrkr } from "./lib/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "strmbrkr-cli-test-"));
const write = (name: string, text: string) => {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
};

/** A usage, configuration or script error: one line on stderr naming the problem, exit 2, nothing left running. */
async function expectUsageError(t: Tap.Test, args: string[], pattern: RegExp, env: Record<string, string> = {}) {
  const result = await strmbrkr(args, { env });
  t.equal(result.code, 2, `exit code 2 for ${args.join(" ")}`);
  t.match(result.stderr, pattern);
  t.equal(result.stderr.trim().split("\n").length, 1, `one line: ${result.stderr}`);
  t.same(await processesGone(result.instanceId), [], "no process left");
}

t.test("missing script file", (t) => expectUsageError(t, ["run", "nope.ts"], /nope\.ts: no such file/).then(() => t.end()));

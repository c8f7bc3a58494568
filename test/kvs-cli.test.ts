/**
 * `strmbrkr kvs <get|set|del|exists|incr|keys|dump|flush|ping>` against a running `strmbrkr run`, found by its instance
 * id (the endpoint file in its private run directory) or given its endpoint; and the one-line
 * errors (exit 2) for a run that is not there, a store that does not answer, and bad usage.
 */
import t from "tap";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture, lastJson, processesGone, strmbrkr, type RunResult } from "./lib/cli.js";
import { waitForLine } from "./lib/kvs-helpers.js";
import type { TapTest } from "./lib/scenario.js";

const kvs = (...args: string[]) => strmbrkr(["kvs", ...args], { timeoutMs: 15_000 });
const oneLine = (t: TapTest, result: RunResult, code: number, pattern: RegExp, what: string) => {
  t.equal(result.code, code, `${what}: exit ${code}`, { stderr: result.stderr, stdout: result.stdout });
  t.equal(result.stderr.trim().split("\n").length, 1, `${what}: one line on stderr`, { stderr: result.stderr });
  t.match(result.stderr, pattern, `${what}: says why`);
};

t.test("inspecting and changing a running store from the shell", async (t) => {
  let checks: Promise<void> | undefined;
  const run = await strmbrkr(["run", fixture("kvs2-cli.ts"), "--workers", "1"], {
    timeoutMs: 150_000, // a guard against a hang: some twenty `strmbrkr kvs` commands run meanwhile, each a process
    onSpawn: (child, id) => {
      checks = waitForLine(child.stdout!, /^ready$/).then(async () => {
        await shell(t, id);
        child.kill("SIGUSR2");
        await waitForLine(child.stdout!, /^seen /);
        const flush = await kvs("flush", "--instance", id);
        t.equal(flush.code, 0, "kvs flush exits 0", { stderr: flush.stderr });
        child.kill("SIGUSR2");
      });
      checks.catch(() => child.kill("SIGTERM"));
    },
  });
  await checks;
  t.equal(run.code, 0, "the run ends normally", { stderr: run.stderr });
  const seenLine = run.stdout.split("\n").find((line) => line.startsWith("seen "));
  const seen = JSON.parse(seenLine?.slice(5) ?? "{}");
  t.same(seen.fromCli, { a: [1, 2] }, "main reads the JSON value kvs set stored");
  t.equal(seen.word, "hello", "a value that is not JSON is stored as a string");
  t.equal(seen.forcedString, "42", "--string stores 42 as a string");
  t.equal(seen.temp, false, "a value set with --ttl expired");
  t.same(lastJson(run.stdout).afterFlush?.keys, [], "kvs flush emptied the store");
  t.same(await processesGone(run.instanceId), [], "no process of the run is left");
});

async function shell(t: TapTest, id: string): Promise<void> {
  const dir = readdirSync(tmpdir()).find((name) => name.startsWith(`strmbrkr-${id}-`))!;
  const endpointFile = join(tmpdir(), dir, "kvs.endpoint");
  t.equal(statSync(join(tmpdir(), dir)).mode & 0o777, 0o700, "the run directory is private (0700)");
  t.equal(statSync(endpointFile).mode & 0o777, 0o600, "the endpoint file is readable by its owner only");
  const endpoint = readFileSync(endpointFile, "utf8").trim();
  t.match(endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/, "it names the store's loopback endpoint");

  const keys = await kvs("keys", "--instance", id);
  t.equal(keys.code, 0, "kvs keys exits 0", { stderr: keys.stderr });
  t.equal(keys.stdout, "other\ntyped\nuser:1\nuser:2\n", "one key a line, sorted");
  t.equal((await kvs("keys", "user:*", "--instance", id)).stdout, "user:1\nuser:2\n", "kvs keys 'user:*'");
  const get = await kvs("get", "user:1", "--instance", id);
  t.equal(get.code, 0, "kvs get exits 0");
  t.same(JSON.parse(get.stdout), { name: "ada" }, "kvs get prints the value as JSON");
  t.same(
    JSON.parse((await kvs("get", "typed", "--instance", id)).stdout),
    { map: { a: "1" }, set: [1] },
    "Map, Set and BigInt spelled as JSON",
  );
  oneLine(t, await kvs("get", "nothing", "--instance", id), 1, /^strmbrkr: no value under "nothing"$/m, "kvs get of a missing key");

  const set = await kvs("set", "fromCli", '{"a":[1,2]}', "--instance", id);
  t.equal(set.code, 0, "kvs set exits 0", { stderr: set.stderr });
  t.same(JSON.parse(set.stdout), { a: [1, 2] }, "and prints what it stored");
  t.equal((await kvs("set", "word", "hello", "--instance", id)).code, 0, "kvs set of a plain word");
  t.equal((await kvs("set", "forcedString", "42", "--string", "--instance", id)).code, 0, "kvs set --string");
  t.equal((await kvs("set", "temp", "1", "--ttl", "0.05", "--instance", id)).code, 0, "kvs set --ttl");

  const dump = await kvs("dump", "--connect", endpoint);
  t.equal(dump.code, 0, "kvs dump --connect exits 0", { stderr: dump.stderr });
  const data = JSON.parse(dump.stdout);
  t.same(data["user:2"], { name: "bob" }, "the dump holds main's values");
  t.same(data.fromCli, { a: [1, 2] }, "and what kvs set stored");

  const out = async (what: string, ...args: string[]) => {
    const result = await kvs(...args, "--instance", id);
    t.equal(result.code, 0, `kvs ${what} exits 0`, { stderr: result.stderr });
    return result.stdout;
  };
  t.equal(await out("incr", "incr", "hits"), "1\n", "kvs incr: a missing key counts as 0");
  t.equal(await out("incr by", "incr", "hits", "41"), "42\n", "kvs incr KEY BY");
  t.equal(
    await out("exists", "exists", "hits", "nothing", "hits"),
    "2\n",
    "kvs exists counts the keys that hold a value, a key named twice twice",
  );
  t.equal(await out("del", "del", "hits", "nothing", "hits"), "1\n", "kvs del prints how many were deleted");
  t.equal(await out("exists after del", "exists", "hits"), "0\n", "the key is gone");
  t.match(
    JSON.parse(await out("ping", "ping")),
    { pid: Number, keys: Number, uptimeSeconds: Number },
    "kvs ping prints the server's pid, keys, uptime",
  );
  oneLine(
    t,
    await kvs("del", "--instance", id),
    2,
    /^strmbrkr: usage: strmbrkr kvs del <key>\.\.\. \(--instance ID \| --connect ENDPOINT\)$/m,
    "kvs del without a key",
  );
  oneLine(
    t,
    await kvs("incr", "hits", "lots", "--instance", id),
    2,
    /^strmbrkr: kvs incr: the amount must be a number, got "lots"$/m,
    "kvs incr with an amount that is no number",
  );

  oneLine(
    t,
    await kvs("get", "x", "--instance", "no-such-run"),
    2,
    /^strmbrkr: no running strmbrkr run with instance id no-such-run/,
    "an unknown instance",
  );
  oneLine(
    t,
    await kvs("get", "x", "--connect", "tcp://127.0.0.1:9", "--timeout", "300"),
    2,
    /no answer from the key-value store at tcp:\/\/127\.0\.0\.1:9 in 300 ms/,
    "a store that does not answer",
  );
  oneLine(t, await kvs("get", "--instance", id), 2, /usage: strmbrkr kvs get <key>/, "kvs get without a key");
  oneLine(t, await kvs("keys"), 2, /--instance ID, or --connect ENDPOINT/, "no run named");
  oneLine(t, await kvs("get", "x", "--instance", id, "--connect", endpoint), 2, /mutually exclusive/, "both --instance and --connect");
  oneLine(
    t,
    await kvs("bogus", "--instance", id),
    2,
    /^strmbrkr: kvs: unknown action "bogus" \(get, set, del, exists, incr, keys, dump, flush, ping\)$/m,
    "an unknown action",
  );
  oneLine(t, await kvs("get", "x", "--instance", "../etc"), 2, /an instance id is 1-64 letters/, "an instance id that is a path");
  oneLine(t, await kvs("get", "x", "--connect", "http://x"), 2, /an endpoint is tcp:\/\/HOST:PORT or ipc:\/\/PATH/, "a bad endpoint");
}

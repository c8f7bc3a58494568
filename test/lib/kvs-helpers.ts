/**
 * Helpers for the KVS, signal, blocked-main and pipeline-report tests: run a `kvs-*` fixture and
 * check the Outcome records (see test/fixtures/kvs-lib.ts) its main printed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fixture, lastJson, processesGone, strmbrkr, type RunOptions, type RunResult } from "./cli.js";

/** The assertions used here; any tap test object has them. */
type Assertion = (found: any, ...rest: any[]) => boolean;
export interface Asserts {
  ok: Assertion;
  equal: Assertion;
  same: Assertion;
  match: Assertion;
  fail: (...rest: any[]) => boolean;
  teardown(fn: () => unknown): void;
}

/** What kvs-lib's `outcome` reports for one call. */
export interface Outcome {
  ok: boolean;
  value?: unknown;
  undefinedValue?: boolean;
  instanceOf?: boolean;
  instanceOfBase?: boolean;
  name?: string;
  code?: string;
  message?: string;
  ms: number;
}

/** A temporary working directory, removed when `t` ends. */
export function scratchDir(t: Asserts, prefix = "strmbrkr-kvs-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface FixtureOptions extends RunOptions {
  workers?: number;
  /** Arguments for main (after `--`). */
  args?: string[];
  /** Default 0. */
  expectCode?: number;
}

/**
 * `strmbrkr run test/fixtures/<script> --workers N [-- args]`: asserts the exit code, that main
 * printed a JSON summary last, and that no process of the run is left.
 */
export async function runFixture<S = any>(
  t: Asserts,
  script: string,
  options: FixtureOptions = {},
): Promise<{ result: RunResult; summary: S }> {
  const { workers = 1, args = [], expectCode = 0, timeoutMs = 45_000, ...runOptions } = options;
  const cli = ["run", fixture(script), "--workers", String(workers), ...(args.length ? ["--", ...args] : [])];
  const result = await strmbrkr(cli, { timeoutMs, ...runOptions });
  const diagnostics = { command: `strmbrkr ${cli.join(" ")}`, stdout: result.stdout, stderr: result.stderr };
  t.equal(result.code, expectCode, `${script}: exit code ${expectCode}`, diagnostics);
  let summary: S | undefined;
  try {
    summary = lastJson<S>(result.stdout);
  } catch {
    t.fail(`${script}: main printed a JSON summary on its last line`, diagnostics);
  }
  t.same(await processesGone(result.instanceId), [], `${script}: no process of the run is left`);
  t.same(runDirsOf(result.instanceId), [], `${script}: the run directory was removed`);
  return { result, summary: (summary ?? {}) as S };
}

/** Run directories (`<tmp>/strmbrkr-<instance id>-XXXXXX`) of a run that still exist. */
export function runDirsOf(instanceId: string): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith(`strmbrkr-${instanceId}-`));
}

/** The call resolved with `expected` (deep equality). */
export function resolvesWith(t: Asserts, outcome: Outcome | undefined, expected: unknown, what: string): void {
  t.equal(outcome?.ok, true, `${what} resolves`, { outcome });
  t.same(outcome?.value, expected, `${what} resolves with ${JSON.stringify(expected)}`, { outcome });
}

/** The call resolved with undefined. */
export function resolvesUndefined(t: Asserts, outcome: Outcome | undefined, what: string): void {
  t.equal(outcome?.ok, true, `${what} resolves`, { outcome });
  t.equal(outcome?.undefinedValue, true, `${what} resolves with undefined`, { outcome });
}

/** The call rejected with an error that was `instanceof` the expected class where it was caught. */
export function rejectsWith(
  t: Asserts,
  outcome: Outcome | undefined,
  name: string,
  what: string,
  { code, message, strmbrkrError }: { code?: string; message?: RegExp; strmbrkrError?: boolean } = {},
): void {
  t.equal(outcome?.ok, false, `${what} rejects`, { outcome });
  t.equal(outcome?.instanceOf, true, `${what}: the error is instanceof ${name}`, { outcome });
  t.equal(outcome?.name, name, `${what}: error name ${name}`, { outcome });
  if (code !== undefined) t.equal(outcome?.code, code, `${what}: error code ${code}`, { outcome });
  if (message) t.match(outcome?.message, message, `${what}: message`, { outcome });
  if (strmbrkrError !== undefined)
    t.equal(outcome?.instanceOfBase, strmbrkrError, `${what}: instanceof StrmbrkrError is ${strmbrkrError}`, { outcome });
}

/** Fails for each scenario of a `scenarios()` summary that threw instead of reporting. */
export function noCrashes(t: Asserts, results: Record<string, unknown> | undefined): void {
  t.ok(results && typeof results === "object", "the summary has results");
  for (const [name, value] of Object.entries(results ?? {})) {
    const crashed = (value as { crashed?: string } | undefined)?.crashed;
    if (crashed) t.fail(`scenario ${name} threw`, { crashed });
  }
}

/**
 * Resolves with the first complete line of `stream` matching `pattern`; rejects if the stream ends
 * first or after `timeoutMs`. Waits on the stream's own events: no polling, no sleeps.
 */
export function waitForLine(stream: Readable, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const cleanup = () => {
      clearTimeout(timer);
      stream.off("data", onData);
      stream.off("end", onEnd);
    };
    const onData = (chunk: Buffer | string) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      const line = lines.find((candidate) => pattern.test(candidate));
      if (line !== undefined) {
        cleanup();
        resolve(line);
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`the stream ended before a line matched ${pattern}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no line matched ${pattern} within ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on("data", onData);
    stream.once("end", onEnd);
  });
}

/** The command line of a live process, arguments joined by spaces ("" once it is gone). */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

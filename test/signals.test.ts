/**
 * Signals to the host of a run, mid-job: Ctrl-C (SIGINT) and SIGTERM stop every process of the run
 * and exit 130 / 143; a second Ctrl-C exits at once; a SIGKILLed host's hub, KVS and workers exit
 * by themselves within 5 s. The fixture prints "started …" once both workers run a 60 s job; the
 * test waits for that line on the child's stdout, then signals.
 */
import t from "tap";
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fixture, processesGone, processesOf, reliabilityRow, strmbrkr, type RunResult } from "./lib/cli.js";
import { commandOf, runDirsOf, scratchDir, waitForLine, type Asserts } from "./lib/kvs-helpers.js";

interface MidJob {
  result: RunResult;
  /** Commands of the run's processes just before the signal. */
  before: string[];
  /** ms from the (last) signal to the host's exit. */
  exitMs: number;
}

/**
 * Runs kvs-signals.ts on 2 workers; once both are busy, `act(child)` signals the host. Resolves
 * when the host has exited.
 */
async function runMidJob(t: Asserts, act: (child: ChildProcess) => Promise<void>, env: Record<string, string> = {}): Promise<MidJob> {
  let child!: ChildProcess;
  let instanceId = "";
  let started!: Promise<string>;
  const run = strmbrkr(["run", fixture("kvs-signals.ts"), "--workers", "2"], {
    cwd: scratchDir(t),
    env,
    timeoutMs: 40_000,
    onSpawn: (spawned, id) => {
      child = spawned;
      instanceId = id;
      started = waitForLine(spawned.stdout!, /^started /, 30_000);
    },
  });
  let before: string[] = [];
  let signalledAt = Date.now();
  try {
    await started;
    before = processesOf(instanceId).map(commandOf);
    signalledAt = Date.now();
    await act(child);
    signalledAt = Date.now();
  } catch (error) {
    t.fail(`the run reached its jobs and was signalled: ${(error as Error).message}`);
    child.kill("SIGKILL");
  }
  const result = await run;
  return { result, before, exitMs: Date.now() - signalledAt };
}

/** Checks the run had its hub, KVS and both workers running when it was signalled. */
function hadEveryProcess(t: Asserts, before: string[]): void {
  t.equal(before.filter((command) => /runtime\/hub\/main\.js/.test(command)).length, 1, "the hub was running", { before });
  t.equal(before.filter((command) => /runtime\/kvs\/main\.js/.test(command)).length, 1, "the KVS was running", { before });
  t.equal(before.filter((command) => /runtime\/worker\/main\.js/.test(command)).length, 2, "both workers were running", { before });
}

/** A host that exits at once (or is killed) cannot remove its run directory: tidy up after it. */
const removeRunDirs = (instanceId: string) =>
  runDirsOf(instanceId).forEach((name) => rmSync(join(tmpdir(), name), { recursive: true, force: true }));

// Running jobs get STRMBRKR_SHUTDOWN_GRACE seconds to finish; these jobs never would, so keep it short.
const SHORT_GRACE = { STRMBRKR_SHUTDOWN_GRACE: "1" };

t.test("SIGINT while jobs run: exit 130, nothing left", async (t) => {
  const { result, before, exitMs } = await runMidJob(t, async (child) => void child.kill("SIGINT"), SHORT_GRACE);
  hadEveryProcess(t, before);
  t.equal(result.code, 130, "exit code 130", { stderr: result.stderr });
  t.equal(result.signal, null, "the host exited by itself, not by the signal");
  t.ok(exitMs < 8_000, `it exited promptly (${exitMs} ms after SIGINT)`);
  t.notMatch(result.stdout, /finished/, "main did not run to its end");
  t.same(await processesGone(result.instanceId), [], "no process of the run is left");
  t.same(runDirsOf(result.instanceId), [], "the run directory was removed");
});

t.test("SIGTERM while jobs run: exit 143, nothing left", async (t) => {
  const { result, before, exitMs } = await runMidJob(t, async (child) => void child.kill("SIGTERM"), SHORT_GRACE);
  hadEveryProcess(t, before);
  t.equal(result.code, 143, "exit code 143", { stderr: result.stderr });
  t.equal(result.signal, null, "the host exited by itself, not by the signal");
  t.ok(exitMs < 8_000, `it exited promptly (${exitMs} ms after SIGTERM)`);
  t.notMatch(result.stdout, /finished/, "main did not run to its end");
  t.same(await processesGone(result.instanceId), [], "no process of the run is left");
  t.same(runDirsOf(result.instanceId), [], "the run directory was removed");
});

t.test("a second SIGINT exits at once; the children follow", async (t) => {
  // Default grace (10 s): after the first SIGINT the host waits for the 60 s jobs; the second must not.
  const { result, before, exitMs } = await runMidJob(t, async (child) => {
    const warned = waitForLine(child.stderr!, /SIGINT/, 10_000);
    child.kill("SIGINT");
    await warned;
    child.kill("SIGINT");
  });
  hadEveryProcess(t, before);
  t.equal(result.code, 130, "exit code 130", { stderr: result.stderr });
  t.ok(exitMs < 1_500, `it exited at once (${exitMs} ms after the second SIGINT)`);
  t.same(await processesGone(result.instanceId, 5_000), [], "within 5 s no process of the run is left");
  removeRunDirs(result.instanceId);
});

t.test("SIGKILL to the host: hub, KVS and workers exit by themselves within 5 s", async (t) => {
  const { result, before } = await runMidJob(t, async (child) => void child.kill("SIGKILL"));
  hadEveryProcess(t, before);
  t.equal(result.signal, "SIGKILL", "the host was killed");
  const leftover = await processesGone(result.instanceId, 5_000);
  t.same(leftover, [], "within 5 s no process of the run is left");
  reliabilityRow(t, {
    scenario: "host killed mid-run (its results die with it)",
    fault: "SIGKILL the host",
    queued: 0,
    received: 0,
    lost: 0,
    duplicated: 0,
    leftover: leftover.length,
  });
  removeRunDirs(result.instanceId);
});

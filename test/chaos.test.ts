import t from "tap";
import { fixture, lastJson, processesGone, processesRunning, reliabilityRow, strmbrkr } from "./lib/cli.js";

/**
 * Enough kills to hit jobs in every state (queued, held, running, replaced mid-boot), and a bound:
 * on a busy machine a replacement takes longer to boot than the 200-400 ms between kills, so an
 * endless killer would stall the run rather than test it.
 */
const MAX_KILLS = 30;

t.test("workers SIGKILLed every few hundred ms: every job comes back exactly once", async (t) => {
  let kills = 0;
  let killer: NodeJS.Timeout | undefined;
  t.teardown(() => clearTimeout(killer));
  const result = await strmbrkr(["run", fixture("rel-chaos.ts"), "--workers", "2", "--no-progress", "--", "2000"], {
    timeoutMs: 150_000,
    onSpawn: (child, instanceId) => {
      const killSomeWorker = () => {
        const workers = processesRunning(instanceId, "runtime/worker/main.js");
        const victim = workers[Math.floor(Math.random() * workers.length)];
        if (victim !== undefined) {
          try {
            process.kill(victim, "SIGKILL");
            kills++;
          } catch {
            // it exited on its own meanwhile
          }
        }
        if (kills < MAX_KILLS) killer = setTimeout(killSomeWorker, 200 + Math.random() * 200);
      };
      child.stdout!.on("data", (chunk: Buffer) => {
        if (killer === undefined && chunk.toString().includes("queued")) killer = setTimeout(killSomeWorker, 200);
      });
      child.on("exit", () => clearTimeout(killer));
    },
  });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  const report = lastJson(result.stdout);
  t.ok(kills >= 3, `killed ${kills} workers`);
  t.equal(report.received, 2000, "one result per job");
  t.equal(report.missing, 0, "no job lost");
  t.equal(report.duplicated, 0, "no job reported twice");
  t.equal(report.processed + report.failed, 2000);
  if (report.failed > 0) {
    t.same(report.failedNames, ["WorkerLost"], "only jobs that lost their worker twice fail");
    t.match(report.failedMessage, /was lost to signal SIGKILL/);
  }
  const leftover = await processesGone(result.instanceId);
  t.same(leftover, [], "no process left");
  reliabilityRow(t, {
    scenario: `chaos: 2,000 × 5 ms jobs on 2 workers (${report.failed} FAILED as WorkerLost)`,
    fault: `SIGKILL a random worker every 200–400 ms (${kills} kills)`,
    queued: report.queued,
    received: report.received,
    lost: report.missing,
    duplicated: report.duplicated,
    leftover: leftover.length,
  });
});

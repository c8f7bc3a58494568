// `npm run soak`: the chaos test, ten times longer, on 4 workers. Not part of `npm test`.
import t from "tap";
import { fixture, lastJson, processesGone, processesRunning, reliabilityRow, strmbrkr } from "../lib/cli.js";

const JOBS = Number(process.env.SOAK_JOBS ?? 20_000);

t.test(`soak: ${JOBS} jobs on 4 workers while workers are SIGKILLed every 100-300 ms`, async (t) => {
  let kills = 0;
  let killer: NodeJS.Timeout | undefined;
  t.teardown(() => clearTimeout(killer));
  const result = await strmbrkr(["run", fixture("rel-chaos.ts"), "--workers", "4", "--no-progress", "--", String(JOBS)], {
    env: { STRMBRKR_LOGGING_LEVEL: "ERROR", STRMBRKR_JOB_MAX_LOST: "3" },
    timeoutMs: 1_800_000,
    onSpawn: (child, instanceId) => {
      const kill = () => {
        const workers = processesRunning(instanceId, "runtime/worker/main.js");
        const victim = workers[Math.floor(Math.random() * workers.length)];
        try {
          if (victim !== undefined) process.kill(victim, "SIGKILL");
          kills++;
        } catch {
          // exited meanwhile
        }
        killer = setTimeout(kill, 100 + Math.random() * 200);
      };
      child.stdout!.once("data", () => (killer = setTimeout(kill, 100)));
      child.on("exit", () => clearTimeout(killer));
    },
  });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  const report = lastJson(result.stdout);
  t.equal(report.missing, 0, "no job lost");
  t.equal(report.duplicated, 0, "no job reported twice");
  const leftover = await processesGone(result.instanceId);
  t.same(leftover, [], "no process left");
  reliabilityRow(t, {
    scenario: `soak: ${JOBS} × 5 ms jobs on 4 workers, STRMBRKR_JOB_MAX_LOST=3 (${report.failed} FAILED as WorkerLost)`,
    fault: `SIGKILL a random worker every 100–300 ms (${kills} kills)`,
    queued: report.queued,
    received: report.received,
    lost: report.missing,
    duplicated: report.duplicated,
    leftover: leftover.length,
  });
});

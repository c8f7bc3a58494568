import { writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { curveKeyPair } from "zeromq";
import { STRMBRKR_VERSION } from "../runtime/util/package-root.js";
import { Back } from "../runtime/wire/jobs.js";
import { Gate } from "../runtime/wire/gateway.js";
import { PROTOCOL_VERSION } from "../runtime/wire/context.js";
import { fixture, killInstance, lastJson, newInstanceId, processesGone, runNode, strmbrkr } from "./lib/cli.js";
import { cacheDir, gatewayOf, launch, makeKeys } from "./lib/remote.js";

const JOBS = 4;

// Two admitted keys: a real `strmbrkr worker` (supervisor r1, workers r1.1 and r1.2) and an
// impostor (test/fixtures/remote-impostor-attacker.mjs). While r1's workers hold a job each, the
// impostor joins as a supervisor of its own (r2: allowed), then tries to speak as r1.1 on the
// backend (READY and forged RESULTS for every job id, first with no secret, then with a wrong one),
// reports r1.1 gone and vouches for r1.1 and r1.2 in its heartbeats before it leaves (had the
// gateway counted them as r2's, its leaving would re-dispatch their jobs), and asks the store to
// shut down. The run must not notice: every job runs exactly once, on r1, with its real result.
t.test(
  "an admitted key cannot pose as another supervisor's workers: no job, no forged result, no forged exit",
  { timeout: 60_000 },
  async (t) => {
    const keys = makeKeys(t);
    const impostor = curveKeyPair();
    // Both keys are admitted: the impostor is a worker the host lets in, not a stranger.
    const authorized = join(keys.dir, "authorized_two");
    writeFileSync(authorized, `${keys.public.worker} worker\n${impostor.publicKey} impostor\n`);

    const host = launch(
      t,
      [
        "run",
        fixture("remote-impostor.ts"),
        "--workers",
        "0",
        "--listen",
        "tcp://127.0.0.1:*",
        "--key",
        keys.host,
        "--authorized-keys",
        authorized,
        "--no-progress",
        "--",
        String(JOBS),
      ],
      { timeoutMs: 45_000 },
    );
    const gateway = await gatewayOf(host);
    const worker = launch(
      t,
      [
        "worker",
        "--connect",
        gateway,
        "--key",
        keys.worker,
        `--server-key=${keys.public.host}`,
        "--workers",
        "2",
        "--cache-dir",
        cacheDir(t),
      ],
      { timeoutMs: 45_000 },
    );
    // Both real workers hold a job until the test lets them go: the attack happens mid-job.
    await Promise.all([worker.waitFor(/job \d+ running on r1\.1\b/), worker.waitFor(/job \d+ running on r1\.2\b/)]);

    const orders = {
      gateway,
      serverKey: keys.public.host,
      pair: impostor,
      victims: ["r1.1", "r1.2"],
      receiveMs: 1_500,
      wire: { Back, Gate, protocol: PROTOCOL_VERSION, version: STRMBRKR_VERSION },
    };
    const attacker = newInstanceId();
    t.teardown(() => killInstance(attacker));
    const attack = await runNode([fixture("remote-impostor-attacker.mjs")], {
      env: { STRMBRKR_INSTANCE_ID: attacker },
      stdin: JSON.stringify(orders),
      timeoutMs: 30_000,
    });
    t.equal(attack.code, 0, "the impostor's script ran to its end", { stderr: attack.stderr });
    const report = lastJson(attack.stdout);
    t.equal(report.supervisorId, "r2", "the impostor joins as a supervisor of its own (allowed)");
    t.equal(report.ids.length, JOBS, "it read the ids of the running jobs from the store (allowed)");
    t.same(
      report.backend.map(({ jobs }: { jobs: string[] }) => jobs),
      [[], []],
      "no job reached it on the backend, as r1.1 or as r1.1 with a wrong secret",
    );
    t.ok(report.welcomedAgain, "the gateway read its forged gone and heartbeat (it answered the hello sent after them)");
    t.ok(report.forgotten, "and its bye (it asks the impostor to rejoin)");
    t.match(report.shutdown, { status: "error", message: /shutdown/ }, "the store refuses a shutdown request: no such op");
    t.match(report.afterShutdown, { status: "ok", value: report.ids }, "and serves on");

    // Now the jobs may end.
    const release = await strmbrkr(["kvs", "set", "release", "true", "--instance", host.instanceId]);
    t.equal(release.code, 0, "the store still takes a write", { stderr: release.stderr });
    const [hostResult, workerResult] = await Promise.all([host.done, worker.done]);

    t.equal(hostResult.code, 0, "host exits 0", { stderr: hostResult.stderr.slice(-3000) });
    t.equal(workerResult.code, 0, "the real worker exits 0", { stderr: workerResult.stderr.slice(-3000) });
    const { results, ran } = lastJson(hostResult.stdout);
    const byId = new Map(
      results.map(({ id, status, retval }: { id: string; status: string; retval: { n: number; square: number } }) => [
        id,
        { status, n: retval.n, square: retval.square },
      ]),
    );
    t.same(
      report.ids.map((id: string) => byId.get(id)),
      Array.from({ length: JOBS }, (_, n) => ({ status: "processed", n, square: n * n })),
      "every job's result is the real one: no forged result reached main",
    );
    t.ok(
      results.every(({ retval }: { retval: { worker: string } }) => /^r1\.[12]$/.test(retval.worker)),
      "every job ran on the real workers",
    );
    t.same(
      [...ran].sort((a: number, b: number) => a - b),
      Array.from({ length: JOBS }, (_, n) => n),
      "each job ran exactly once: none was taken from its worker or re-dispatched",
    );

    t.match(
      hostResult.stderr,
      /dropped a message from "r1\.1": not admitted on this socket/,
      "the host drops the impostor's messages without a secret",
    );
    // The attempt with a wrong secret is dropped too (no job reached it, above); its line waits for the log's rate limit.
    const dropLines = hostResult.stderr.split("\n").filter((line) => line.includes("not admitted on this socket"));
    t.ok(dropLines.length <= 2, `dropped messages are logged at most every few seconds, not once each (${dropLines.length} lines)`);
    t.match(hostResult.stderr, /gone: r1\.1 is not a worker of r2/, "and its report that another's worker is gone");
    t.notMatch(hostResult.stderr, /re-dispatching|reconnected/, "no real worker was declared gone or taken over");
    t.notMatch(workerResult.stderr, /silent|reconnecting/, "the real workers never lost the broker");

    t.same(await processesGone(host.instanceId), [], "no host process left");
    t.same(await processesGone(worker.instanceId), [], "no worker process left");
    t.same(await processesGone(attack.instanceId), [], "no impostor process left");
  },
);

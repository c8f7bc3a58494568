import t from "tap";
import { fixture, lastJson, processesGone } from "./lib/cli.js";
import { cacheDir, gatewayOf, launch, makeKeys, hostArgs } from "./lib/remote.js";

t.test(
  "workers.workerCount counts the remote workers that joined main's pool (--workers 0, two remote workers: 2)",
  { timeout: 60_000 },
  async (t) => {
    const keys = makeKeys(t);
    const host = launch(t, hostArgs(fixture("remote-jobs.ts"), keys, "count", "2"), { timeoutMs: 50_000 });
    const worker = launch(
      t,
      [
        "worker",
        "--connect",
        await gatewayOf(host),
        "--key",
        keys.worker,
        `--server-key=${keys.public.host}`,
        "--workers",
        "2",
        "--cache-dir",
        cacheDir(t),
      ],
      { timeoutMs: 50_000 },
    );
    const [hostResult, workerResult] = await Promise.all([host.done, worker.done]);
    t.equal(hostResult.code, 0, "host exits 0", { stderr: hostResult.stderr.slice(-3000) });
    t.same(lastJson(hostResult.stdout), { workerCount: 2, ranOn: ["r1"] }, "main saw 2 workers, and its jobs ran on them");
    t.equal(workerResult.code, 0, "the worker exits 0 when the run ends");
    t.same(await processesGone(host.instanceId), [], "no host process left");
    t.same(await processesGone(worker.instanceId), [], "no worker process left");
  },
);

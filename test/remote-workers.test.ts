import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { PRUNE_STAMP } from "../runtime/util/cache-prune.js";
import { fixture, lastJson, processesGone } from "./lib/cli.js";
import { FAST_BEATS, cacheDir, gatewayOf, launch, makeKeys, hostArgs } from "./lib/remote.js";

const script = fixture("remote-jobs.ts");

t.test("with --workers 0, remote workers over TCP (CURVE) run every job, reach the KVS and the broker, and cache the bundle", async (t) => {
  const keys = makeKeys(t);
  const cache = cacheDir(t);
  const host = launch(t, hostArgs(script, keys, "20"), { env: { STRMBRKR_LOGGING_LEVEL: "DEBUG" } });
  const gateway = await gatewayOf(host);
  t.match(
    host.stderr,
    new RegExp(`server key ${keys.public.host.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    "the host prints its public key",
  );
  const worker = launch(t, [
    "worker",
    "--connect",
    gateway,
    "--key",
    keys.worker,
    "--server-key",
    `${keys.dir}/host.pub`,
    "--workers",
    "2",
    "--cache-dir",
    cache,
  ]);
  const [hostResult, workerResult] = await Promise.all([host.done, worker.done]);
  t.equal(hostResult.code, 0, "host exits 0", { stderr: hostResult.stderr.slice(-3000) });
  const report = lastJson(hostResult.stdout);
  t.match(
    report,
    { statuses: ["processed"], seen: 20, nestedSquare: 49 },
    "every job processed and wrote to the KVS; a nested submit came back",
  );
  t.ok(
    report.workers.length > 0 && report.workers.every((id: string) => /^r1\.[12]$/.test(id)),
    `every job ran on the remote workers (${report.workers})`,
  );
  t.match(hostResult.stderr, /remote worker supervisor r1 joined from/);
  t.notMatch(hostResult.stderr, /leased worker/, "a remote worker is never leased to a QueueManager: its jobs go the broker's way");
  t.equal(workerResult.code, 0, "the worker exits 0 when the run ends", { stderr: workerResult.stderr.slice(-3000) });
  t.match(workerResult.stderr, /fetching the job script's bundle \(\d+ bytes, sha256 [0-9a-f]{16}…\)/);
  const cached = readdirSync(cache).filter((name) => name !== PRUNE_STAMP);
  t.equal(cached.length, 1, "one bundle cached");
  t.match(cached[0], /^[0-9a-f]{64}\.mjs$/, "named by its sha256");
  t.ok(existsSync(join(cache, PRUNE_STAMP)), "the cache was pruned as the worker left (runtime/util/cache-prune.ts)");
  t.same(await processesGone(host.instanceId), [], "no host process left");
  t.same(await processesGone(worker.instanceId), [], "no worker process left");

  // A second run of the same script: the worker takes the bundle from its cache.
  const again = launch(t, hostArgs(script, keys, "4"));
  const second = launch(t, [
    "worker",
    "--connect",
    await gatewayOf(again),
    "--key",
    keys.worker,
    `--server-key=${keys.public.host}`,
    "--workers",
    "2",
    "--cache-dir",
    cache,
  ]);
  const [againResult, secondResult] = await Promise.all([again.done, second.done]);
  t.equal(againResult.code, 0, "second run exits 0", { stderr: againResult.stderr.slice(-3000) });
  t.match(lastJson(againResult.stdout), { statuses: ["processed"], seen: 4, nestedSquare: 49 }, "the run went as before");
  t.notMatch(secondResult.stderr, /fetching/, "no download: the cached bundle matched its hash");
  t.same(await processesGone(again.instanceId), [], "no host process left");
  t.same(await processesGone(second.instanceId), [], "no worker process left");
});

t.test("the watchdog kills a remote worker stuck in a job; its supervisor starts a replacement", async (t) => {
  const keys = makeKeys(t);
  const host = launch(
    t,
    [
      "run",
      script,
      "--workers",
      "0",
      "--watchdog",
      "1",
      "--listen",
      "tcp://127.0.0.1:*",
      "--key",
      keys.host,
      "--authorized-keys",
      keys.authorized,
      "--no-progress",
      "--",
      "watchdog",
    ],
    { env: FAST_BEATS },
  );
  const worker = launch(t, [
    "worker",
    "--connect",
    await gatewayOf(host),
    "--key",
    keys.worker,
    `--server-key=${keys.public.host}`,
    "--workers",
    "1",
    "--cache-dir",
    cacheDir(t),
  ]);
  const [hostResult, workerResult] = await Promise.all([host.done, worker.done]);
  t.equal(hostResult.code, 0, "host exits 0", { stderr: hostResult.stderr.slice(-3000) });
  t.same(
    lastJson(hostResult.stdout),
    { stuck: "WatchdogTimeout", next: "r1.2" },
    "the stuck job failed with WatchdogTimeout; the next ran on the replacement",
  );
  t.equal(workerResult.code, 0, "the worker exits 0 when the run ends");
  t.same(await processesGone(host.instanceId), [], "no host process left");
  t.same(await processesGone(worker.instanceId), [], "no worker process left, the stuck one included");
});

t.test("a script that cannot load on a remote machine: the worker exits 1 with the error, the host logs it and runs on", async (t) => {
  const keys = makeKeys(t);
  const host = launch(t, hostArgs(fixture("remote-bad-import.ts"), keys));
  const worker = launch(t, [
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
  ]);
  const failed = await worker.done;
  t.equal(failed.code, 1, "the worker exits 1");
  t.match(
    failed.stderr,
    /strmbrkr worker: the job script cannot be loaded here: Error: no GPU on this machine\n\s+at .*remote-bad-import\.ts:4/,
    "with the error, source-mapped",
  );
  await host.waitFor(/the workers on \S+ cannot load the job script: Error: no GPU on this machine/, "stderr");
  t.equal(host.child.exitCode, null, "the host runs on: its job waits for a worker that can run it");
  host.child.kill("SIGTERM");
  t.equal((await host.done).code, 143);
  for (const run of [host, worker]) t.same(await processesGone(run.instanceId), [], "no process left");
});

import t from "tap";
import { fixture, killInstance, lastJson, processesGone } from "./lib/cli.js";
import { FAST_BEATS, cacheDir, gatewayOf, launch, makeKeys, hostArgs } from "./lib/remote.js";

// An elastic pool: remote workers join, vanish and leave during a run, and the host stops with them.
const script = fixture("remote-jobs.ts");

t.test("a remote worker whose machine vanishes mid-job: its job finishes on a worker that joins mid-run", async (t) => {
  const keys = makeKeys(t);
  const cache = cacheDir(t);
  const host = launch(t, hostArgs(script, keys, "slow", "1500"), { env: FAST_BEATS });
  const gateway = await gatewayOf(host);
  const join = () =>
    launch(t, [
      "worker",
      "--connect",
      gateway,
      "--key",
      keys.worker,
      `--server-key=${keys.public.host}`,
      "--workers",
      "1",
      "--cache-dir",
      cache,
    ]);
  const first = join();
  const running = await first.waitFor(/slow job running on (r\d+\.\d+)/, "stdout");
  t.equal(running[1], "r1.1", "the first remote worker took the job");
  first.child.kill("SIGKILL"); // the supervisor vanishes; its worker follows (its owner is gone)
  const second = join(); // a worker joining mid-run
  const [hostResult, secondResult] = await Promise.all([host.done, second.done]);
  t.equal(hostResult.code, 0, "host exits 0", { stderr: hostResult.stderr.slice(-3000) });
  t.same(lastJson(hostResult.stdout), { worker: "r2.1", attempts: 2 }, "re-dispatched once, finished on the newcomer");
  t.match(hostResult.stderr, /lost/, "the loss was noticed and logged");
  t.equal(secondResult.code, 0, "the second worker exits 0 when the run ends");
  t.same(await processesGone(host.instanceId), [], "no host process left");
  t.same(await processesGone(first.instanceId), [], "no process left of the vanished worker");
  t.same(await processesGone(second.instanceId), [], "no worker process left");
});

t.test("a remote worker that leaves mid-job (SIGTERM) hands its job back without counting it as lost", async (t) => {
  const keys = makeKeys(t);
  const cache = cacheDir(t);
  // STRMBRKR_JOB_MAX_LOST=0: a job whose worker is *lost* fails at once; one whose worker *leaves* is re-dispatched.
  const host = launch(t, hostArgs(script, keys, "slow", "1500"), { env: { ...FAST_BEATS, STRMBRKR_JOB_MAX_LOST: "0" } });
  const gateway = await gatewayOf(host);
  const join = () =>
    launch(t, [
      "worker",
      "--connect",
      gateway,
      "--key",
      keys.worker,
      `--server-key=${keys.public.host}`,
      "--workers",
      "1",
      "--cache-dir",
      cache,
    ]);
  const leaving = join();
  await leaving.waitFor(/slow job running on r1\.1/, "stdout");
  leaving.child.kill("SIGTERM");
  t.equal((await leaving.done).code, 0, "the leaving worker exits 0");
  const staying = join();
  const [hostResult, stayingResult] = await Promise.all([host.done, staying.done]);
  t.equal(hostResult.code, 0, "host exits 0", { stderr: hostResult.stderr.slice(-3000) });
  t.same(lastJson(hostResult.stdout), { worker: "r2.1", attempts: 2 }, "re-dispatched to the next worker, not failed");
  t.match(hostResult.stderr, /the worker supervisor on .* left/);
  t.equal(stayingResult.code, 0);
  for (const run of [host, leaving, staying]) t.same(await processesGone(run.instanceId), [], "no process left");
});

t.test("Ctrl-C on the host lets a remote worker finish its job within the grace, then the worker exits", async (t) => {
  const keys = makeKeys(t);
  const host = launch(t, hostArgs(script, keys, "slow", "1500"), { env: FAST_BEATS });
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
  await worker.waitFor(/slow job running on r1\.\d/, "stdout");
  host.child.kill("SIGINT");
  const [hostResult, workerResult] = await Promise.all([host.done, worker.done]);
  t.equal(hostResult.code, 130, "the host exits 130", { stderr: hostResult.stderr.slice(-3000) });
  t.match(hostResult.stderr, /interrupted: 1 jobs processed, 0 failed, 0 not finished/, "the remote job finished within the grace");
  t.equal(workerResult.code, 0, "the worker exits 0 when the run ends");
  t.notMatch(workerResult.stderr, /starting a replacement/, "released workers are not replaced");
  for (const run of [host, worker]) t.same(await processesGone(run.instanceId), [], "no process left");
});

t.test("a host that vanishes without a word: the worker stops its workers, says hello for --give-up seconds, then exits 1", async (t) => {
  const keys = makeKeys(t);
  const host = launch(t, hostArgs(script, keys, "slow", "60000"), { env: FAST_BEATS });
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
      "1",
      "--cache-dir",
      cacheDir(t),
      "--give-up",
      "2",
    ],
    { env: FAST_BEATS },
  );
  await worker.waitFor(/slow job running on r\d+\.\d+/, "stdout");
  killInstance(host.instanceId); // the host's machine is gone: no goodbye
  const result = await worker.done;
  t.equal(result.code, 1, "the worker exits 1", { stderr: result.stderr.slice(-3000) });
  t.match(result.stderr, /the host has been silent for \d+ ms; stopping this machine's workers and joining again/);
  t.match(result.stderr, new RegExp(`strmbrkr worker: no answer from ${gateway.replace(/[.*]/g, "\\$&")} for 2 s; giving up`));
  t.same(await processesGone(worker.instanceId), [], "no process left on the worker's machine");
  t.same(await processesGone(host.instanceId), [], "nor of the host");
});

t.test("a worker started with no host to answer gives up after --give-up seconds; --give-up must be a number", async (t) => {
  const keys = makeKeys(t);
  const worker = launch(t, [
    "worker",
    "--connect",
    "tcp://127.0.0.1:9",
    "--key",
    keys.worker,
    `--server-key=${keys.public.host}`,
    "--workers",
    "1",
    "--cache-dir",
    cacheDir(t),
    "--give-up",
    "1",
  ]);
  const result = await worker.done;
  t.equal(result.code, 1, "", { stderr: result.stderr });
  t.match(result.stderr, /strmbrkr worker: no answer from tcp:\/\/127\.0\.0\.1:9 for 1 s; giving up/);
  t.same(await processesGone(worker.instanceId), [], "no process left");
  const bad = await launch(t, ["worker", "--connect", "tcp://127.0.0.1:9", "--insecure", "--give-up", "soon"]).done;
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^strmbrkr: --give-up must be a number of seconds >= 0, got "soon"\n$/);
});

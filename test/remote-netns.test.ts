import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import t from "tap";
import { fixture, killInstance, lastJson, processesGone } from "./lib/cli.js";
import { FAST_BEATS, cacheDir, gatewayOf, launch, makeKeys } from "./lib/remote.js";

// The host and a worker on two "machines": network namespaces joined by a veth pair. Needs root and iproute2.
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
const id = randomBytes(3).toString("hex");
const HOST_NS = `sbk${id}h`;
const WORKER_NS = `sbk${id}w`;
const [HOST_IF, WORKER_IF] = [`vsb${id}a`, `vsb${id}b`];
const subnet = `10.213.${randomBytes(1)[0]}`;

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "network namespaces need root (run the tests as root, as CI does)";
  try {
    ip("netns", "add", HOST_NS);
    ip("netns", "add", WORKER_NS);
    ip("link", "add", HOST_IF, "type", "veth", "peer", "name", WORKER_IF);
  } catch (error) {
    removeNamespaces();
    return `cannot make network namespaces here (${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()})`;
  }
  ip("link", "set", HOST_IF, "netns", HOST_NS);
  ip("link", "set", WORKER_IF, "netns", WORKER_NS);
  for (const [ns, dev, address] of [
    [HOST_NS, HOST_IF, `${subnet}.1/24`],
    [WORKER_NS, WORKER_IF, `${subnet}.2/24`],
  ] as const) {
    ip("-n", ns, "addr", "add", address, "dev", dev);
    ip("-n", ns, "link", "set", dev, "up");
    ip("-n", ns, "link", "set", "lo", "up"); // the host's own services bind to loopback
  }
  return undefined;
}

function removeNamespaces(): void {
  for (const ns of [HOST_NS, WORKER_NS]) {
    try {
      ip("netns", "del", ns); // takes its end of the veth pair, and so the pair, with it
    } catch {
      // never made
    }
  }
}

const skip = unavailable();
t.teardown(removeNamespaces);

t.test(
  "host and worker in two network namespaces: the link is cut mid-job and the job finishes on another worker",
  { skip, timeout: 60_000 },
  async (t) => {
    const keys = makeKeys(t);
    const inNs = (ns: string) => ["ip", "netns", "exec", ns];
    const host = launch(
      t,
      [
        "run",
        fixture("remote-jobs.ts"),
        "--workers",
        "0",
        "--listen",
        "tcp://*:*",
        "--key",
        keys.host,
        "--authorized-keys",
        keys.authorized,
        "--no-progress",
        "--",
        "slow",
        "2500",
      ],
      { prefix: inNs(HOST_NS), env: FAST_BEATS },
    );
    const port = (await gatewayOf(host)).split(":").pop()!;
    const join = (ns: string, address: string) =>
      launch(
        t,
        [
          "worker",
          "--connect",
          `tcp://${address}:${port}`,
          "--key",
          keys.worker,
          `--server-key=${keys.public.host}`,
          "--workers",
          "1",
          "--cache-dir",
          cacheDir(t),
        ],
        { prefix: inNs(ns) },
      );

    const remote = join(WORKER_NS, `${subnet}.1`);
    await remote.waitFor(/slow job running on r1\.1/, "stdout");
    ip("-n", HOST_NS, "link", "set", HOST_IF, "down"); // the cable is pulled: no FIN, no RST, just silence
    const local = join(HOST_NS, "127.0.0.1");
    const [hostResult, localResult] = await Promise.all([host.done, local.done]);
    t.equal(hostResult.code, 0, "host exits 0", { stderr: hostResult.stderr.slice(-3000) });
    t.same(lastJson(hostResult.stdout), { worker: "r2.1", attempts: 2 }, "the job was re-dispatched and finished on the other worker");
    t.match(hostResult.stderr, /lost the link to the worker supervisor|without a heartbeat/, "the host noticed the silence");
    t.equal(localResult.code, 0, "the other worker exits 0 when the run ends");

    await remote.waitFor(/the host has been silent for \d+ ms; stopping this machine's workers and joining again/, "stderr");
    remote.child.kill("SIGTERM"); // cut off, it would try to rejoin forever
    t.equal((await remote.done).code, 0, "the cut-off worker leaves on SIGTERM");
    for (const run of [host, local, remote]) t.same(await processesGone(run.instanceId), [], "no process left");
    for (const run of [host, local, remote]) killInstance(run.instanceId);
  },
);

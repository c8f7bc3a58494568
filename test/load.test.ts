import t from "tap";
import { serialize } from "node:v8";
import { decode } from "../runtime/wire/serialize.js";
import { Dealer } from "zeromq";
import { endpointsOf, fixture, lastJson, processesGone, reliabilityRow, strmbrkr } from "./lib/cli.js";

t.test("100,000 jobs queued at once all complete, with bounded host memory", async (t) => {
  const result = await strmbrkr(["run", fixture("rel-load.ts"), "--workers", "2", "--no-progress", "--", "100000"], { timeoutMs: 240_000 });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  const report = lastJson(result.stdout);
  t.equal(report.received, 100_000, "every job came back");
  t.equal(report.right, 100_000, "with its own value");
  t.ok(report.peakRssMb < 1024, `host peak RSS ${report.peakRssMb.toFixed(0)} MiB stays under 1 GiB`);
  const leftover = await processesGone(result.instanceId);
  t.same(leftover, [], "no process left");
  reliabilityRow(t, {
    scenario: `load: 100,000 jobs queued at once, 2 workers (${report.seconds.toFixed(1)} s, host peak RSS ${report.peakRssMb.toFixed(0)} MiB)`,
    fault: "none",
    queued: report.count,
    received: report.received,
    lost: report.count - report.received,
    duplicated: 0,
    leftover: leftover.length,
  });
});

t.test("30,000 jobs queued one message each with a 1 s watchdog: the flood never starves results into watchdog kills", async (t) => {
  const result = await strmbrkr(
    ["run", fixture("rel-load.ts"), "--workers", "2", "--watchdog", "1", "--no-progress", "--", "30000", "one-by-one"],
    { timeoutMs: 120_000 },
  );
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  const report = lastJson(result.stdout);
  t.same(report.failures, [], "no job failed");
  t.equal(report.right, 30_000, "every job came back with its own value");
  t.notMatch(result.stderr, /watchdog/i, "no watchdog fired");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("500 concurrent KVS clients are all served", async (t) => {
  const CLIENTS = 500;
  let served = 0;
  let wrong = 0;
  let clients: Promise<void> | undefined;
  const sockets: Dealer[] = [];
  t.teardown(() => sockets.forEach((socket) => socket.close()));
  const hammer = async (instanceId: string) => {
    let endpoints: Record<string, string> | undefined;
    while (!(endpoints = endpointsOf(instanceId))) await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, n) => {
        const socket = new Dealer({ linger: 0, receiveTimeout: 30_000 });
        sockets.push(socket);
        socket.connect(endpoints!.kvs!);
        const id = Buffer.alloc(4);
        id.writeUInt32BE(1);
        await socket.send([id, "set", serialize([`client${n}`, n])]);
        await socket.receive();
        id.writeUInt32BE(2);
        await socket.send([id, "get", serialize([`client${n}`])]);
        const [replyId, status, payload] = await socket.receive();
        if (replyId!.readUInt32BE() === 2 && status!.toString() === "ok" && decode(payload!) === n) served++;
        else wrong++;
        socket.close();
      }),
    );
  };
  // The run goes on until every client is through (SIGUSR2), however slow a busy machine makes them.
  const result = await strmbrkr(
    ["run", fixture("rel-steady.ts"), "--workers", "1", "--protocol", "ipc", "--no-progress", "--", "1", "until-signal"],
    {
      timeoutMs: 120_000,
      onSpawn: (child, instanceId) => child.stdout!.once("data", () => (clients = hammer(instanceId).finally(() => child.kill("SIGUSR2")))),
    },
  );
  await clients;
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-3000) });
  t.equal(served, CLIENTS, "every client got its own value back");
  t.equal(wrong, 0);
  t.same(await processesGone(result.instanceId), [], "no process left");
});

import { readFileSync } from "node:fs";
import t from "tap";
import { Dealer, Router } from "zeromq";
import { fixture, processesGone } from "./lib/cli.js";
import { PROTOCOL_VERSION } from "../runtime/wire/context.js";
import { cacheDir, gatewayOf, launch, makeKeys, readPair, hostArgs } from "./lib/remote.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

t.test("the host refuses a worker of another strmbrkr version with a clear error, and logs it", async (t) => {
  const keys = makeKeys(t);
  const host = launch(t, hostArgs(fixture("remote-jobs.ts"), keys, "slow", "60000"));
  const gateway = await gatewayOf(host);
  const pair = readPair(keys.worker);
  const socket = new Dealer({
    linger: 0,
    curveServerKey: keys.public.host,
    curvePublicKey: pair.publicKey,
    curveSecretKey: pair.secretKey,
  });
  t.teardown(() => socket.close());
  socket.connect(gateway);
  await socket.send([
    "hello",
    JSON.stringify({ protocol: PROTOCOL_VERSION + 1, version: "9.9.9", workers: 4, hostname: "elsewhere", pid: 7 }),
  ]);
  const [command, body] = await socket.receive();
  t.equal(command!.toString(), "refused", "refused, not welcomed");
  const refused = JSON.parse(body!.toString());
  t.same({ protocol: refused.protocol, version: refused.version }, { protocol: PROTOCOL_VERSION, version }, "the host says what it runs");
  const expected = new RegExp(
    `the worker on elsewhere runs strmbrkr 9\\.9\\.9 \\(protocol ${PROTOCOL_VERSION + 1}\\) but this host runs strmbrkr ${escape(version)} \\(protocol ${PROTOCOL_VERSION}\\); install the same version on both`,
  );
  t.match(refused.message, expected, "the worker is told why");
  await host.waitFor(/refused a remote worker: the worker on elsewhere/, "stderr");
  t.match(host.stderr, expected, "the host logs the same reason");
  host.child.kill("SIGTERM");
  await host.done;
  t.same(await processesGone(host.instanceId), [], "no host process left");
});

t.test("a worker told of another strmbrkr version by the host exits 2 with a clear error", async (t) => {
  // A stand-in host that answers any hello with a welcome from strmbrkr 9.9.9.
  const gateway = new Router({ linger: 0 });
  t.teardown(() => gateway.close());
  await gateway.bind("tcp://127.0.0.1:*");
  let hello: { protocol: number; version: string } | undefined;
  void (async () => {
    for await (const [routing, command, body] of gateway) {
      if (command!.toString() !== "hello") continue;
      hello = JSON.parse(body!.toString());
      const welcome = {
        protocol: PROTOCOL_VERSION,
        version: "9.9.9",
        supervisorId: "r1",
        poolId: 1,
        bundle: { hash: "0".repeat(64), bytes: 0, stdlibUrl: "" },
        ports: { backend: 1, frontend: 1, kvs: 1 },
        config: {},
      };
      await gateway.send([routing!, "welcome", JSON.stringify(welcome)]);
    }
  })();
  const worker = launch(t, ["worker", "--connect", gateway.lastEndpoint!, "--insecure", "--cache-dir", cacheDir(t)]);
  const result = await worker.done;
  t.same(
    hello && { protocol: hello.protocol, version: hello.version },
    { protocol: PROTOCOL_VERSION, version },
    "the worker's hello names its versions first",
  );
  t.equal(result.code, 2, "exit 2");
  t.match(
    result.stderr,
    new RegExp(
      `strmbrkr worker: the host runs strmbrkr 9\\.9\\.9 \\(protocol ${PROTOCOL_VERSION}\\) but this worker runs strmbrkr ${escape(version)} \\(protocol ${PROTOCOL_VERSION}\\); install the same version on both`,
    ),
  );
  t.same(await processesGone(worker.instanceId), [], "no worker process left");
});

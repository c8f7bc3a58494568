import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serialize, deserialize } from "node:v8";
import t from "tap";
import { Dealer } from "zeromq";
import { PROTOCOL_VERSION } from "../runtime/wire/context.js";
import { fixture, processesGone, strmbrkr } from "./lib/cli.js";
import { cacheDir, gatewayOf, launch, makeKeys, readPair, type Keys, hostArgs } from "./lib/remote.js";

const script = fixture("remote-jobs.ts");
const square = fixture("cli-square.ts");
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A raw client socket: CURVE with `pair` against the host's key, or no security at all. */
function client(
  t: { teardown(fn: () => void): void },
  keys: Keys,
  pair?: { publicKey: string; secretKey: string },
  routingId?: string,
): Dealer {
  const socket = new Dealer({
    linger: 0,
    ...(routingId ? { routingId } : {}),
    ...(pair ? { curveServerKey: keys.public.host, curvePublicKey: pair.publicKey, curveSecretKey: pair.secretKey } : {}),
  });
  t.teardown(() => socket.close());
  return socket;
}

/** Resolves with the first handshake outcome the socket reports: "handshake" (admitted) or a "handshake:error:…" type. */
async function handshake(socket: Dealer): Promise<string> {
  for await (const event of socket.events) if (event.type.startsWith("handshake")) return event.type;
  return "closed";
}

t.test("without an allowed key, a worker or client can neither get the bundle, nor take or submit jobs, nor use the KVS", async (t) => {
  const keys = makeKeys(t);
  const host = launch(t, hostArgs(script, keys, "slow", "60000"));
  const gateway = await gatewayOf(host);
  const base = gateway.slice(0, gateway.lastIndexOf(":"));

  // An admitted key: welcomed, told the other ports, and can read the store.
  const admitted = client(t, keys, readPair(keys.worker));
  const admittedHandshake = handshake(admitted);
  admitted.connect(gateway);
  await admitted.send(["hello", JSON.stringify({ protocol: PROTOCOL_VERSION, version: "0.1.0", workers: 0, hostname: "test", pid: 1 })]);
  const [command, body] = await admitted.receive();
  t.equal(command!.toString(), "welcome", "an admitted key is welcomed");
  t.equal(await admittedHandshake, "handshake");
  const { ports, bundle } = JSON.parse(body!.toString());
  t.match(bundle.hash, /^[0-9a-f]{64}$/);
  const kvs = client(t, keys, readPair(keys.worker));
  kvs.connect(`${base}:${ports.kvs}`);
  await kvs.send([Buffer.from([0, 0, 0, 1]), "get", serialize(["slow"])]);
  const [, status, value] = await kvs.receive();
  t.equal(status!.toString(), "ok", "an admitted key reads the store");
  t.equal(deserialize(value!), undefined, "the slow job never started: no worker took it");

  // A stranger's key, and no key at all, on every socket, each sending what it would want.
  const attempts: [string, number, string | undefined, (string | Buffer)[]][] = [
    [
      "gateway: hello, then fetch the bundle",
      Number(gateway.slice(gateway.lastIndexOf(":") + 1)),
      undefined,
      ["fetch", JSON.stringify({ hash: bundle.hash, offset: 0 })],
    ],
    [
      "backend: register as a remote worker to take jobs",
      ports.backend,
      "r1.1",
      ["ready", JSON.stringify({ version: PROTOCOL_VERSION, pid: 1, poolId: 1 })],
    ],
    ["frontend: submit a job", ports.frontend, undefined, ["submit", JSON.stringify([{ id: "x-1", fn: "where" }]), serialize([1])]],
    ["kvs: write a key", ports.kvs, undefined, [Buffer.from([0, 0, 0, 1]), "set", serialize(["stolen", 1])]],
  ];
  for (const [what, port, routingId, message] of attempts) {
    for (const [who, pair, refusal] of [
      ["stranger's key", readPair(keys.stranger), /^handshake:error:auth$/],
      ["no key", undefined, /^handshake:error:/],
    ] as const) {
      const socket = client(t, keys, pair, routingId);
      const outcome = handshake(socket);
      socket.connect(`${base}:${port}`);
      void socket.send(message).catch(() => {});
      t.match(await outcome, refusal, `${what}: refused with ${who}`);
    }
  }
  t.match(host.stderr, `public key ${keys.public.stranger} is not in --authorized-keys`, "the host logs the refused key");

  await kvs.send([Buffer.from([0, 0, 0, 2]), "get", serialize(["stolen"])]);
  t.equal(deserialize((await kvs.receive())[2]!), undefined, "the stranger's write never reached the store");

  // The real worker with a stranger's key gives up with a clear reason.
  const stranger = launch(t, [
    "worker",
    "--connect",
    gateway,
    "--key",
    keys.stranger,
    `--server-key=${keys.public.host}`,
    "--cache-dir",
    cacheDir(t),
  ]);
  const refused = await stranger.done;
  t.equal(refused.code, 2, "a refused worker exits 2");
  t.match(refused.stderr, `refused this worker's key ${keys.public.stranger}: add it to the host's --authorized-keys`);

  host.child.kill("SIGTERM");
  t.equal((await host.done).code, 143, "the host stops on SIGTERM");
  t.same(await processesGone(host.instanceId), [], "no host process left");
  t.same(await processesGone(stranger.instanceId), [], "no worker process left");
});

t.test("--listen refuses to start without keys unless --insecure, which warns at every start", async (t) => {
  const keys = makeKeys(t);
  const noKeys = await strmbrkr(["run", square, "--listen", "tcp://127.0.0.1:*"]);
  t.equal(noKeys.code, 2, "no keys: exit 2");
  t.match(noKeys.stderr, /^strmbrkr: --listen needs --authorized-keys FILE .* or --insecure/m);
  const stray = await strmbrkr(["run", square, "--authorized-keys", keys.authorized]);
  t.equal(stray.code, 2);
  t.match(stray.stderr, /--authorized-keys applies only with --listen/);
  const zero = await strmbrkr(["run", square, "--workers", "0"]);
  t.equal(zero.code, 2, "--workers 0 without --listen: exit 2");
  t.match(zero.stderr, /--workers .*"0" must be at least 1 \(or 0 with --listen/);
  const badAddress = await strmbrkr(["run", square, "--listen", "0.0.0.0:5555", "--insecure"]);
  t.match(badAddress.stderr, /--listen "0.0.0.0:5555": expected tcp:\/\/HOST:PORT/);
  // A port of the four in use: one clear line, exit 1, nothing left behind.
  const busy = createServer();
  t.teardown(() => busy.close());
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  const taken = (busy.address() as AddressInfo).port;
  const inUse = await strmbrkr([
    "run",
    square,
    "--listen",
    `tcp://127.0.0.1:${taken - 1}`,
    "--authorized-keys",
    keys.authorized,
    "--no-progress",
  ]);
  t.equal(inUse.code, 1, "a port in use: exit 1");
  t.equal(
    inUse.stderr,
    `strmbrkr: --listen: cannot bind tcp://127.0.0.1:${taken} (jobs): the port is in use (the next three ports must be free too)\n`,
  );
  t.same(await processesGone(inUse.instanceId), [], "no process left");
  const workerNoKeys = await strmbrkr(["worker", "--connect", "tcp://127.0.0.1:1"]);
  t.equal(workerNoKeys.code, 2);
  t.match(workerNoKeys.stderr, /a worker needs --key FILE .* or --insecure/);

  const host = launch(t, ["run", script, "--workers", "0", "--listen", "tcp://127.0.0.1:*", "--insecure", "--no-progress", "--", "3"]);
  const worker = launch(t, ["worker", "--connect", await gatewayOf(host), "--insecure", "--workers", "2", "--cache-dir", cacheDir(t)]);
  const [hostResult, workerResult] = await Promise.all([host.done, worker.done]);
  t.equal(hostResult.code, 0, "an --insecure run works", { stderr: hostResult.stderr.slice(-2000) });
  t.match(hostResult.stderr, /WARNING: --insecure: anyone who can reach tcp:\/\/127\.0\.0\.1:\* can take jobs/, "the host warns");
  t.match(hostResult.stderr, /listening for remote workers on tcp:\/\/127\.0\.0\.1:\d+ \(insecure\)/);
  t.equal(workerResult.code, 0);
  t.match(workerResult.stderr, /WARNING: --insecure/, "the worker warns too");
  t.same(await processesGone(host.instanceId), [], "no host process left");
  t.same(await processesGone(worker.instanceId), [], "no worker process left");
});

t.test("strmbrkr keygen writes a secret .key (mode 0600) and a .pub, and never overwrites a key", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-keygen-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = join(dir, "node7");
  const made = await strmbrkr(["keygen", base]);
  t.equal(made.code, 0, "exit 0", { stderr: made.stderr });
  const publicKey = /^public key: (\S{40})$/m.exec(made.stdout)?.[1];
  t.ok(publicKey, "prints the public key");
  t.equal(statSync(`${base}.key`).mode & 0o777, 0o600, "the key pair file is private");
  t.match(readFileSync(`${base}.key`, "utf8"), new RegExp(`^public-key ${escape(publicKey!)}\\nsecret-key \\S{40}$`, "m"));
  t.equal(readFileSync(`${base}.pub`, "utf8"), `${publicKey} node7\n`, "the .pub line is what an allow-list holds");
  const again = await strmbrkr(["keygen", base]);
  t.equal(again.code, 2, "a second keygen to the same name: exit 2");
  t.match(again.stderr, /exists already; not overwriting a key/);
  t.match(readFileSync(`${base}.pub`, "utf8"), publicKey!, "the first key is intact");
});

t.test("strmbrkr kvs reaches a listening run's store over CURVE with an admitted key, and not without one", async (t) => {
  const keys = makeKeys(t);
  const host = launch(t, hostArgs(script, keys, "slow", "60000"));
  const store = (
    await host.waitFor(
      /the key-value store, from elsewhere: strmbrkr kvs … --connect (tcp:\/\/\S+) --key KEY --server-key=HOST\.pub/,
      "stderr",
    )
  )[1]!;
  // A refusal is reported as the handshake fails, not at the timeout: 10 s only bounds a busy machine's handshake.
  const kvs = (args: string[], key = keys.worker) =>
    strmbrkr(["kvs", ...args, "--connect", store, "--key", key, `--server-key=${keys.public.host}`, "--timeout", "10000"]);
  const set = await kvs(["set", "from-afar", "42"]);
  t.equal(set.code, 0, "set with the admitted key", { stderr: set.stderr });
  const got = await kvs(["get", "from-afar"]);
  t.equal(got.stdout, "42\n", "and read back");
  const stranger = await kvs(["set", "from-afar", "666"], keys.stranger);
  t.equal(stranger.code, 2, "a stranger's key is refused");
  t.match(stranger.stderr, /^strmbrkr: refused: tcp:\/\/\S+ refused this client's CURVE key/);
  const noKeys = await strmbrkr(["kvs", "get", "from-afar", "--connect", store, "--timeout", "10000"]);
  t.equal(noKeys.code, 2, "so is a client without keys");
  t.match(noKeys.stderr, /^strmbrkr: refused: no credentials for tcp:\/\/\S+: it requires CURVE keys/);
  t.equal((await kvs(["get", "from-afar"])).stdout, "42\n", "the stranger's write never landed");
  const half = await strmbrkr(["kvs", "get", "x", "--connect", store, "--key", keys.worker]);
  t.equal(half.code, 2);
  t.match(half.stderr, /--key and --server-key go together/);
  host.child.kill("SIGINT");
  await host.done;
  t.same(await processesGone(host.instanceId), [], "no process left");
});

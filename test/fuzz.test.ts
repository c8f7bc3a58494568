import t from "tap";
import { randomBytes, randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { serialize } from "node:v8";
import { connect, type Socket } from "node:net";
import { Dealer } from "zeromq";
import { encodeMessage } from "../runtime/wire/framing.js";
import { PROTOCOL_VERSION } from "../runtime/wire/context.js";
import { endpointsOf, fixture, lastJson, processesGone, processesOf, reliabilityRow, strmbrkr } from "./lib/cli.js";

const FUZZ_MS = 3_000;

const id4 = () => randomBytes(4);
const junk = () => randomBytes(randomInt(0, 300));
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
/** Malformed or hostile messages, per target. */
const attacks: Record<string, (() => Buffer[])[]> = {
  frontend: [
    () => Array.from({ length: randomInt(1, 6) }, junk),
    () => [Buffer.from("submit")],
    () => [Buffer.from("submit"), junk()],
    () => [Buffer.from("submit"), serialize("not a list")],
    () => [Buffer.from("submit"), serialize([{ id: 1, fn: 2 }])],
    // batch headers that parse but do not add up (runtime/wire/job-batch.ts)
    () => [Buffer.from("submit"), json({ items: [{ id: "x-1", fn: "echo" }], sizes: [] }), Buffer.alloc(0)],
    () => [Buffer.from("submit"), json({ items: [{ id: "x-1", fn: "echo" }], sizes: [5] }), Buffer.alloc(2)],
    () => [Buffer.from("submit"), json({ items: [null, 3], sizes: [-1, -1] }), Buffer.alloc(0)],
    () => [Buffer.from("submit"), json({ items: "no", sizes: "no" }), Buffer.alloc(0)],
    () => [Buffer.from("submit"), json(null), Buffer.alloc(0)],
    () => [Buffer.from("results"), serialize([])],
    () => [Buffer.from("nonsense"), junk(), junk()],
  ],
  backend: [
    () => Array.from({ length: randomInt(1, 6) }, junk),
    () => [Buffer.from("ready"), Buffer.from("{not json")],
    () => [Buffer.from("ready"), Buffer.from(JSON.stringify({ version: PROTOCOL_VERSION, pid: 1, poolId: 1 }))],
    () => [Buffer.from("results"), junk()],
    () => [Buffer.from("results"), serialize([{ id: "1-1", ok: true, value: serialize(1) }])],
    () => [Buffer.from("results"), json({ items: [{ id: "1-1", ok: true }], sizes: [-2] }), Buffer.alloc(0)],
    () => [Buffer.from("results"), json({ items: [{ id: "1-1", ok: true }], sizes: [1.5] }), Buffer.alloc(3)],
  ],
  kvs: [
    () => Array.from({ length: randomInt(1, 7) }, junk),
    () => [id4(), Buffer.from("get"), junk()],
    () => [id4(), Buffer.from("bogus"), serialize([])],
    () => [id4(), Buffer.from("set"), serialize([42, "non-string key"])],
    () => [id4(), Buffer.from("set"), serialize("not an array")],
    () => [Buffer.from("x"), Buffer.from("get"), serialize(["k"])],
    () => [id4(), Buffer.from("flush")],
  ],
};

/**
 * A hostile client of a local (unix) socket: sends messages in the local framing, a junk hello
 * first on the broker's (an id, or none), and sometimes raw junk bytes; connects again whenever
 * the server drops it.
 */
class LocalFuzzer {
  #path: string;
  #hello: boolean;
  #socket?: Socket;

  constructor(path: string, hello: boolean) {
    this.#path = path;
    this.#hello = hello;
  }

  async send(frames: Buffer[]): Promise<void> {
    if (!this.#socket || this.#socket.destroyed) {
      const socket = connect(this.#path);
      socket.on("error", () => {});
      await new Promise((resolve) => socket.once("connect", resolve).once("close", resolve));
      if (this.#hello) socket.write(encodeMessage([randomInt(2) ? junk() : Buffer.alloc(0)]));
      this.#socket = socket;
    }
    const bytes = randomInt(20) === 0 ? junk() : encodeMessage(frames);
    // A socket the server dropped earlier emitted "close" already: waiting for it would never end.
    if (!this.#socket.write(bytes) && !this.#socket.destroyed)
      await new Promise((resolve) => this.#socket!.once("drain", resolve).once("close", resolve));
  }

  close(): void {
    this.#socket?.destroy();
  }
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : 0;
}

t.test("malformed messages to the broker's two ends and the KVS are dropped; real work goes on", async (t) => {
  let sent = 0;
  let maxRssMb = 0;
  let fuzzing: Promise<void> | undefined;
  const sockets: (Dealer | LocalFuzzer)[] = [];
  t.teardown(() => sockets.forEach((socket) => socket.close()));

  const fuzz = async (instanceId: string) => {
    let endpoints: Record<string, string> | undefined;
    while (!(endpoints = endpointsOf(instanceId))) await new Promise((resolve) => setImmediate(resolve));
    // Each end twice: its zeromq socket and its local one (same messages, another transport).
    const targets = Object.entries(endpoints).map(([name, endpoint]) => {
      const kind = name.replace("-local", "");
      let socket: Dealer | LocalFuzzer;
      if (endpoint.startsWith("unix://")) socket = new LocalFuzzer(endpoint.slice("unix://".length), kind !== "kvs");
      else (socket = new Dealer({ sendTimeout: 1_000, linger: 0 })).connect(endpoint);
      sockets.push(socket);
      return { kind, socket };
    });
    // One frame past STRMBRKR_MAX_MESSAGE_BYTES each: the services must drop the sender, not grow.
    const huge = Buffer.alloc(3 * 1024 * 1024);
    for (const { kind, socket } of targets) {
      await socket.send(kind === "kvs" ? [id4(), Buffer.from("set"), huge] : [Buffer.from("submit"), huge]).catch(() => {});
    }
    const until = Date.now() + FUZZ_MS;
    while (Date.now() < until) {
      for (const { kind, socket } of targets) {
        const pick = attacks[kind]!;
        await socket.send(pick[randomInt(pick.length)]!()).catch(() => {});
        sent++;
      }
      if (sent % 300 === 0) for (const pid of processesOf(instanceId)) maxRssMb = Math.max(maxRssMb, rssMb(pid));
    }
  };

  // Real work goes on until the fuzzing is over (SIGUSR2), however slowly a busy machine runs either.
  const result = await strmbrkr(
    ["run", fixture("rel-steady.ts"), "--workers", "2", "--protocol", "ipc", "--no-progress", "--", "1", "until-signal"],
    {
      env: { STRMBRKR_MAX_MESSAGE_BYTES: String(1024 * 1024), STRMBRKR_LOGGING_LEVEL: "CRITICAL" },
      timeoutMs: 60_000,
      onSpawn: (child, instanceId) => {
        child.stdout!.once("data", () => (fuzzing = fuzz(instanceId).finally(() => child.kill("SIGUSR2"))));
      },
    },
  );
  await fuzzing;
  t.equal(result.code, 0, "the run finished normally", { stderr: result.stderr.slice(-3000) });
  const report = lastJson(result.stdout);
  t.ok(sent > 300, `sent ${sent} hostile messages`);
  t.ok(report.rounds > 0, `${report.rounds} rounds of real work`);
  t.equal(report.wrong, 0, "every real job came back right");
  t.equal(report.kvsRounds, report.rounds, "every real KVS write landed");
  t.ok(maxRssMb < 400, `every process stayed under 400 MiB (peak ${maxRssMb.toFixed(0)} MiB)`);
  const leftover = await processesGone(result.instanceId);
  t.same(leftover, [], "no process left");
  reliabilityRow(t, {
    scenario: `hostile input: ${report.rounds} rounds of 20 real jobs + KVS writes (peak RSS ${maxRssMb.toFixed(0)} MiB)`,
    fault: `${sent} malformed or oversized messages to the broker's two ends and the KVS, on their zeromq and local sockets`,
    queued: report.rounds * 20,
    received: report.rounds * 20 - report.wrong,
    lost: report.wrong,
    duplicated: 0,
    leftover: leftover.length,
  });
});

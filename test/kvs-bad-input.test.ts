/**
 * Bad input to the KVS never stops it: through the API (non-string keys, unserialisable values,
 * values over STRMBRKR_KVS_MAX_VALUE_BYTES) each call rejects typed; raw frames on its socket
 * (a run with --protocol ipc) get a typed "error" answer when they have a reply address (unknown
 * op, bad key, undecodable or non-array arguments, oversized arguments, a bad transact name) and
 * are dropped and logged when they do not; an oversized frame costs its sender the connection.
 */
import t from "tap";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serialize } from "node:v8";
import { decode } from "../runtime/wire/serialize.js";
import { Dealer } from "zeromq";
import { fixture, lastJson, processesGone, strmbrkr } from "./lib/cli.js";
import { rejectsWith, resolvesWith, waitForLine } from "./lib/kvs-helpers.js";
import type { TapTest } from "./lib/scenario.js";

const LIMIT = 64 * 1024;

/** What the store answered to each raw request, by name. */
type Answers = Record<string, { status: string; value: any }>;

async function hostile(endpoint: string): Promise<{ answers: Answers; order: string[] }> {
  const socket = new Dealer({ linger: 0, receiveTimeout: 5_000 });
  socket.connect(endpoint);
  const requests: Record<string, Buffer[]> = {
    unknownOp: [Buffer.from("bogus"), serialize([])],
    numberKey: [Buffer.from("set"), serialize([42, "v"])],
    junkArgs: [Buffer.from("get"), randomBytes(64)],
    notArray: [Buffer.from("set"), serialize("k")],
    overLimit: [Buffer.from("set"), serialize(["k", Buffer.alloc(LIMIT + 1)])],
    transactName: [Buffer.from("transact"), serialize([7])],
  };
  const names = Object.keys(requests);
  const order: string[] = [];
  const answers: Answers = {};
  for (const [index, name] of names.entries()) {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(index + 1);
    await socket.send([id, ...requests[name]!]);
  }
  // Frames without the three parts a request has: no reply address, nothing to answer.
  await socket.send([Buffer.from("only one frame")]);
  await socket.send([Buffer.alloc(4), Buffer.from("get")]);
  await socket.send([Buffer.alloc(4), Buffer.from("get"), serialize(["k"]), Buffer.from("extra")]);
  const pingId = Buffer.from([0xff, 0, 0, 0]);
  await socket.send([pingId, Buffer.from("ping"), serialize([])]);
  for (;;) {
    const [id, status, payload] = await socket.receive();
    const name = id!.equals(pingId) ? "ping" : names[id!.readUInt32BE() - 1]!;
    order.push(name);
    answers[name] = { status: status!.toString(), value: decode(payload!) };
    if (name === "ping") break;
  }
  // A frame past the socket's limit (STRMBRKR_KVS_MAX_VALUE_BYTES + 1 MiB): the sender is dropped.
  const greedy = new Dealer({ linger: 0 });
  greedy.connect(endpoint);
  await greedy.send([Buffer.alloc(4), Buffer.from("set"), Buffer.alloc(LIMIT + 2 * 1024 * 1024)]);
  greedy.close();
  socket.close();
  return { answers, order };
}

t.test("bad input gets typed errors; the store keeps serving (kvs2-bad-input.ts)", async (t: TapTest) => {
  let poking: Promise<{ answers: Answers; order: string[] }> | undefined;
  const run = await strmbrkr(["run", fixture("kvs2-bad-input.ts"), "--workers", "1", "--protocol", "ipc", "--", String(LIMIT)], {
    env: { STRMBRKR_KVS_MAX_VALUE_BYTES: String(LIMIT) },
    timeoutMs: 45_000,
    onSpawn: (child, id) => {
      poking = waitForLine(child.stdout!, /^ready$/).then(async () => {
        const dir = readdirSync(tmpdir()).find((name) => name.startsWith(`strmbrkr-${id}-`))!;
        const endpoint = readFileSync(join(tmpdir(), dir, "kvs.endpoint"), "utf8").trim();
        try {
          return await hostile(endpoint);
        } finally {
          child.kill("SIGUSR2");
        }
      });
      poking.catch(() => child.kill("SIGUSR2"));
    },
  });
  const { answers, order } = await poking!;
  t.equal(run.code, 0, "the run ends normally", { stderr: run.stderr.slice(-2000) });
  const s = lastJson(run.stdout);

  t.test("through the API", async (t) => {
    const a = s.api ?? {};
    for (const name of ["deleteNumber", "existsNull", "incrObject", "casArray", "pushUndefined", "hashNumber"]) {
      rejectsWith(t, a[name], "TypeError", `${name}: a non-string key`, { message: /keys must be strings/ });
    }
    for (const name of ["setFunction", "appendSymbol", "hashWeakMap", "nestedFunction"]) {
      rejectsWith(t, a[name], "TypeError", `${name}: an unserialisable value`, { message: /value cannot be stored/ });
    }
    rejectsWith(t, a.overLimit, "RangeError", "a value over the limit", {
      message: new RegExp(`over STRMBRKR_KVS_MAX_VALUE_BYTES \\(${LIMIT}\\)`),
    });
    resolvesWith(t, a.underLimit, LIMIT - 100, "a value under the limit is stored");
    t.same(s.after, { keys: ["fits", "k"], k: "intact" }, "none of the refused calls stored anything");
  });

  t.test("raw frames", async (t) => {
    const error = (name: string, type: string, message: RegExp) => {
      t.equal(answers[name]?.status, "error", `${name}: an "error" answer`, { answer: answers[name] });
      t.equal(answers[name]?.value?.name, type, `${name}: ${type}`);
      t.match(answers[name]?.value?.message, message, `${name}: says why`);
    };
    error("unknownOp", "TypeError", /unknown KeyValueStore operation "bogus"/);
    error("numberKey", "TypeError", /keys must be strings, got number/);
    error("junkArgs", "TypeError", /arguments cannot be decoded/);
    error("notArray", "TypeError", /arguments must be an array/);
    error("overLimit", "RangeError", new RegExp(`over STRMBRKR_KVS_MAX_VALUE_BYTES \\(${LIMIT}\\)`));
    error("transactName", "TypeError", /export name must be a string, got number/);
    t.same(
      order,
      ["unknownOp", "numberKey", "junkArgs", "notArray", "overLimit", "transactName", "ping"],
      "answers in order, none for the malformed frames",
    );
    t.equal(answers.ping?.status, "ok", "a ping after them all is answered");
    t.match(run.stderr, /dropped a malformed request \(2 frames\)/, "a malformed frame is logged");
    t.match(run.stderr, /dropped a malformed request \(5 frames\)/, "so is one with too many frames");
  });

  t.equal(s.samePid, true, "the same server process answers main afterwards");
  t.same(s.keysAtEnd, ["fits", "k"], "with the data unchanged");
  t.equal(s.kAtEnd, "intact", "every value as it was");
  t.same(await processesGone(run.instanceId), [], "no process of the run is left");
});

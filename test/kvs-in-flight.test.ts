/**
 * Many requests in flight from one client (kvs2-in-flight.ts): main and a job each fire thousands
 * at once (they travel in batches over the local socket), every answer is its own request's, a bad
 * one among them rejects alone. From outside the run, over the zeromq ROUTER (what remote clients
 * and `strmbrkr kvs` use), with the run's keys as its owner's tools take them: a KvsClient with 3,000 in flight; raw frames with a malformed batch, an
 * empty batch and a valid batch (answered as a batch, in order); garbage on the local socket (that
 * connection dropped). The server keeps serving all along, with its data intact.
 */
import t from "tap";
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Dealer } from "zeromq";
import { BATCH_MARKER, packRequests, requestBytes, unpackAnswers } from "../runtime/wire/kvs-batch.js";
import { KvsClient } from "../runtime/client/kvs-client.js";
import { decodePayload, encodeArgs } from "../runtime/wire/kvs-codec.js";
import { localPathOf } from "../runtime/transport/endpoints.js";
import { localKvsAddress } from "../runtime/transport/kvs-discovery.js";
import { readRunKeys, runClientKeys } from "../runtime/transport/run-keys.js";
import { fixture, lastJson, processesGone, strmbrkr } from "./lib/cli.js";
import { waitForLine } from "./lib/kvs-helpers.js";

interface Outside {
  clientWrong: number;
  clientErrors: string[];
  batchAnswers: { id: number; ok: boolean; value: any }[];
  localDropped: boolean;
  localExisted: boolean;
  pingAfter: boolean;
}

async function fromOutside(runDir: string): Promise<Outside> {
  const endpoint = readFileSync(join(runDir, "kvs.endpoint"), "utf8").trim();
  // The store's loopback socket admits the run's own key only: the owner finds it in the run directory.
  const keys = runClientKeys(readRunKeys(runDir));
  // A KvsClient over zeromq, as a remote client: 3,000 requests at once.
  const client = new KvsClient(endpoint, { timeoutMs: 10_000, attempts: 1, curve: keys });
  const sets = await Promise.allSettled(Array.from({ length: 3_000 }, (_, i) => client.request("set", [`o${i}`, i])));
  const gets = await Promise.allSettled(Array.from({ length: 3_000 }, (_, i) => client.request("get", [`o${i}`])));
  const counts = await Promise.all(Array.from({ length: 500 }, () => client.request("incr", ["outsideCount"])));
  await client.request("set", ["outside", "from zeromq"]);
  let clientWrong = 0;
  const clientErrors: string[] = [];
  [...sets, ...gets].forEach((settled, i) => {
    if (settled.status === "rejected") clientErrors.push(String(settled.reason));
    else if (settled.value !== i % 3_000) clientWrong++;
  });
  if (new Set(counts).size !== 500) clientWrong++;
  client.close();

  // Raw frames on the ROUTER.
  const socket = new Dealer({
    linger: 0,
    receiveTimeout: 5_000,
    curveServerKey: keys.serverKey,
    curvePublicKey: keys.publicKey,
    curveSecretKey: keys.secretKey,
  });
  socket.connect(endpoint);
  await socket.send([BATCH_MARKER, Buffer.from([0, 0, 0, 1, 3, 0x73, 0x65])]); // cut short
  await socket.send([BATCH_MARKER, Buffer.alloc(0)]);
  await socket.send([BATCH_MARKER]);
  const requests = [
    { id: 11, op: "get", payload: encodeArgs(["outside"]) },
    { id: 12, op: "nope", payload: encodeArgs([]) },
    { id: 13, op: "exists", payload: Buffer.from([1, 1, 0x42]) }, // undecodable arguments
    { id: 14, op: "ping", payload: encodeArgs([]) },
  ];
  await socket.send([
    BATCH_MARKER,
    packRequests(
      requests,
      requests.reduce((sum, r) => sum + requestBytes(r.op, r.payload), 0),
    ),
  ]);
  const [marker, packed] = await socket.receive();
  const entries = marker!.length === 0 ? unpackAnswers(packed!) : "not a batch";
  const batchAnswers =
    typeof entries === "string" ? [] : entries.map(({ id, ok, start, end }) => ({ id, ok, value: decodePayload(packed!, start, end) }));

  // Garbage on the local socket: a length far past the limit.
  const localPath = localPathOf(localKvsAddress(runDir))!;
  const local = connect(localPath);
  const localDropped = await new Promise<boolean>((resolve) => {
    local.on("connect", () => local.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])));
    local.on("close", () => resolve(true));
    local.on("error", () => {});
    setTimeout(() => resolve(false), 5_000);
  });
  const id = Buffer.from([0, 0, 0, 99]);
  await socket.send([id, Buffer.from("ping"), encodeArgs([])]);
  const [pingId, status] = await socket.receive();
  socket.close();
  return {
    clientWrong,
    clientErrors,
    batchAnswers,
    localDropped,
    localExisted: readdirSync(runDir).includes("kvs-local.sock"),
    pingAfter: pingId!.equals(id) && status!.toString() === "ok",
  };
}

t.test("thousands in flight, from main, a job and outside; malformed batches dropped (kvs2-in-flight.ts)", async (t) => {
  let poking: Promise<Outside> | undefined;
  const run = await strmbrkr(["run", fixture("kvs2-in-flight.ts"), "--workers", "1"], {
    env: { STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT: "10000" },
    timeoutMs: 60_000,
    onSpawn: (child, instanceId) => {
      poking = waitForLine(child.stdout!, /^ready$/).then(async () => {
        const dir = readdirSync(tmpdir()).find((name) => name.startsWith(`strmbrkr-${instanceId}-`))!;
        try {
          return await fromOutside(join(tmpdir(), dir));
        } finally {
          child.kill("SIGUSR2");
        }
      });
      poking.catch(() => child.kill("SIGUSR2"));
    },
  });
  const outside = await poking!;
  t.equal(run.code, 0, "the run ends normally", { stderr: run.stderr.slice(-2000) });
  const s = lastJson(run.stdout);

  for (const [who, r, count] of [
    ["main", s.fromMain, 5_000],
    ["a job", s.fromJob, 2_000],
    ["main, after the outside traffic", s.again, 1_000],
  ] as const) {
    t.same(r?.wrong, [], `${who}: every answer is its own request's`);
    t.equal(r?.errors?.length, 1, `${who}: one request rejected`, { errors: r?.errors });
    t.match(r?.errors?.[0], /TypeError: keys must be strings/, `${who}: the bad key, with its TypeError`);
    t.equal(r?.distinct, r?.increments, `${who}: every increment got its own value`);
    t.equal(r?.increments, count / 5 - 2, `${who}: all increments answered (two of the fifths were the bad key and the big value)`);
    t.equal(r?.bigIntact, true, `${who}: the 100 KB value came back intact`);
  }
  t.equal(s.fromJob?.pid === s.fromMain?.pid, false, "the job ran in a worker");
  t.equal(s.jobStatus, "processed", "the job was processed");

  t.equal(outside.localExisted, true, "the store had its local socket");
  t.equal(outside.clientWrong, 0, "a zeromq client with 3,000 in flight got every answer right");
  t.same(outside.clientErrors, [], "and no errors");
  t.same(
    outside.batchAnswers.map((a) => a.id),
    [11, 12, 13, 14],
    "a raw batch is answered as a batch, in order",
  );
  t.same(outside.batchAnswers[0], { id: 11, ok: true, value: "from zeromq" }, "a good request in it gets its value");
  t.equal(outside.batchAnswers[1]?.ok, false, "an unknown op in it gets an error");
  t.match(
    outside.batchAnswers[1]?.value,
    { name: "TypeError", message: /unknown KeyValueStore operation "nope"/ },
    "a TypeError naming it",
  );
  t.match(
    outside.batchAnswers[2]?.value,
    { name: "TypeError", message: /arguments cannot be decoded/ },
    "undecodable arguments in it get a TypeError",
  );
  t.equal(outside.batchAnswers[3]?.ok, true, "the ping after them is answered");
  t.match(run.stderr, /dropped a malformed batch of requests \(truncated at byte 0\)/, "a batch cut short is logged and dropped");
  t.match(run.stderr, /dropped a malformed batch of requests \(empty\)/, "so is an empty one");
  t.equal(outside.localDropped, true, "garbage on the local socket costs that connection");
  t.match(run.stderr, /dropped a local connection: a message of 4294967295 bytes, over the limit/, "which is logged");
  t.equal(outside.pingAfter, true, "the ROUTER still answers after all that");
  t.equal(s.samePid, true, "the same server answers main afterwards");
  t.equal(s.outside, "from zeromq", "what the zeromq client stored is there");
  t.equal(s.outsideCount, 500, "its 500 increments, each counted once");
  t.same(await processesGone(run.instanceId), [], "no process of the run is left");
});

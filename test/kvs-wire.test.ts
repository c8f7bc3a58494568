/**
 * The KVS's wire pieces, in process: the compact codec (runtime/wire/kvs-codec.ts) against structured
 * clone, batches (runtime/wire/kvs-batch.ts), and KvsService answering batches: in order, ids matched, a bad request among good ones answered
 * with its own typed error, a resent change answered from the reply cache (not applied twice), a
 * malformed batch dropped while the service keeps answering.
 */
import t from "tap";
import { deserialize, serialize } from "node:v8";
import { AnswerPacker, BATCH_MARKER, packRequests, requestBytes, unpackAnswers, unpackRequests } from "../runtime/wire/kvs-batch.js";
import { COMPACT_LIST, decodePayload, encodeArgs, encodeValue, isCompact } from "../runtime/wire/kvs-codec.js";
import { ReplyCache } from "../runtime/kvs/reply-cache.js";
import { KvsService } from "../runtime/kvs/server.js";
import { Store } from "../runtime/kvs/store.js";

const same = (a: unknown, b: unknown) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

t.test(
  "compact codec: primitives as structured clone gives them back; the rest travels as JSON when exact, else structured clone",
  async (t) => {
    const primitives = [
      "",
      "key7",
      "é\u00ff",
      "ключ",
      "\ud800 lone surrogate",
      "x".repeat(70_000),
      0,
      -0,
      1,
      -1,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      1.5,
      NaN,
      Infinity,
      -Infinity,
      true,
      false,
      null,
      undefined,
    ];
    const args = encodeArgs(primitives);
    t.equal(args[0], COMPACT_LIST, "a list of primitives is compact");
    t.ok(isCompact(args), "and says so");
    const back = decodePayload(args) as unknown[];
    t.equal(back.length, primitives.length, "every item comes back");
    t.ok(
      back.every((value, i) => same(value, primitives[i])),
      "each identical (-0, NaN, lone surrogates, latin1 and UTF-16 strings)",
    );
    for (const value of primitives)
      t.ok(same(decodePayload(encodeValue(value, true)), value), `answer ${JSON.stringify(String(value)).slice(0, 30)}`);
    for (const other of [[1n], [new Map([["a", 1]])], [new Date(0)], [Buffer.from("b")], [{ a: undefined }]]) {
      const bytes = encodeArgs(other);
      t.equal(bytes[0], 0xff, `falls back to structured clone: ${Object.prototype.toString.call(other[0])}`);
      t.same(deserialize(bytes), other, "which reads back with node:v8");
      t.same(decodePayload(bytes), other, "and with decodePayload");
    }
    for (const other of [[{ a: 1, b: ["x", null] }], Array(256).fill(1)]) {
      const bytes = encodeArgs(other);
      t.same(JSON.parse(bytes.toString()), other, `JSON-exact values travel as JSON: ${JSON.stringify(other).slice(0, 30)}`);
      t.same(decodePayload(bytes), other, "and decode back");
    }
    t.same(decodePayload(encodeValue({ v: [1, 2] }, true)), { v: [1, 2] }, "a JSON answer to a client that speaks it");
    t.equal(encodeValue({ v: 1 }, false)[0], 0xff, "structured clone to one that does not");
    t.notOk(isCompact(encodeValue("x", false)), "answers are structured clone unless the client asked compactly");
    t.same(decodePayload(serialize(["k", { v: 1 }])), ["k", { v: 1 }], "structured clone payloads are read as before");
    t.throws(() => encodeArgs([() => 1]), "an unserialisable value still throws");
    for (const [name, bad] of [
      ["truncated string", Buffer.from([1, 1, 6, 9, 0, 0, 0, 65])],
      ["truncated int", Buffer.from([1, 1, 4, 0])],
      ["extra bytes", Buffer.from([2, 0, 0])],
      ["unknown tag", Buffer.from([1, 1, 0x42])],
      ["unknown encoding", Buffer.from([9])],
      ["empty", Buffer.alloc(0)],
    ] as const) {
      t.throws(() => decodePayload(bad), `${name}: throws`);
    }
  },
);

t.test("batches", async (t) => {
  const requests = [
    { id: 1, op: "set", payload: encodeArgs(["a", 1]) },
    { id: 2 ** 32 - 1, op: "get", payload: serialize(["a"]) },
    { id: 3, op: "ping", payload: encodeArgs([]) },
  ];
  const packed = packRequests(
    requests,
    requests.reduce((sum, r) => sum + requestBytes(r.op, r.payload), 0),
  );
  const entries = unpackRequests(packed);
  t.same(
    typeof entries === "string" ? entries : entries.map(({ id, op }) => [id, op]),
    [
      [1, "set"],
      [2 ** 32 - 1, "get"],
      [3, "ping"],
    ],
    "requests unpack in order",
  );
  if (typeof entries !== "string") t.same(decodePayload(packed, entries[1]!.start, entries[1]!.end), ["a"], "with their payloads");
  t.type(unpackRequests(packed.subarray(0, packed.length - 1)), "string", "a truncated batch is malformed");
  t.type(unpackRequests(Buffer.alloc(0)), "string", "so is an empty one");
  t.type(unpackRequests(Buffer.from([0, 0, 0, 1, 200, 1, 2])), "string", "and one whose op runs past its end");

  const packer = new AnswerPacker();
  packer.add(7, true, encodeValue(5, true));
  packer.add(8, false, serialize({ name: "TypeError", message: "no" }));
  const answers = unpackAnswers(packer.take());
  t.same(
    typeof answers === "string" ? answers : answers.map(({ id, ok }) => [id, ok]),
    [
      [7, true],
      [8, false],
    ],
    "answers unpack in order, with their status",
  );
  t.equal(packer.count, 0, "the packer is empty after take()");
});

t.test(
  "KvsService: a batch is answered in order, ids matched; bad requests typed; resends from the cache; malformed batches dropped",
  async (t) => {
    const service = new KvsService({ store: new Store() });
    const replies: Buffer[][] = [];
    const handle = async (client: string, frames: Buffer[]) => service.handle(client, frames, (reply) => replies.push(reply));
    const batchOf = (requests: { id: number; op: string; args: unknown[] }[]) => {
      const encoded = requests.map(({ id, op, args }) => ({ id, op, payload: encodeArgs(args) }));
      return [
        BATCH_MARKER,
        packRequests(
          encoded,
          encoded.reduce((sum, r) => sum + requestBytes(r.op, r.payload), 0),
        ),
      ];
    };
    const answersOf = (reply: Buffer[]) => {
      t.equal(reply.length, 2, "a batch answer");
      t.equal(reply[0]!.length, 0, "starts with the empty marker frame");
      const answers = unpackAnswers(reply[1]!);
      if (typeof answers === "string") throw new Error(answers);
      return answers.map(({ id, ok, start, end }) => ({ id, ok, value: decodePayload(reply[1]!, start, end) as any }));
    };

    const requests = Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0 ? { id: 100 + i, op: "set", args: [`k${i % 10}`, i] } : { id: 100 + i, op: "incr", args: ["n", i] },
    );
    requests.splice(500, 0, { id: 99, op: "bogus", args: [] }, { id: 98, op: "set", args: [42, "v"] });
    await handle("c1", batchOf(requests));
    const first = answersOf(replies.shift()!);
    t.same(
      first.map((a) => a.id),
      requests.map((r) => r.id),
      "every request answered once, in the order sent",
    );
    let sum = 0;
    const expected = requests.map(({ op, args }) => {
      if (op === "set") return typeof args[0] === "string" ? args[1] : "TypeError";
      if (op === "incr") return (sum += args[1] as number);
      return "TypeError";
    });
    t.same(
      first.map((a) => (a.ok ? a.value : a.value.name)),
      expected,
      "each answer is its own request's (sets echo, increments add up, bad ones are TypeErrors)",
    );
    t.match(first.find((a) => a.id === 99)?.value?.message, /unknown KeyValueStore operation "bogus"/, "the unknown op says so");

    // The client timed out and sent two of them again (same ids): answered from the cache, not applied twice.
    await handle(
      "c1",
      batchOf([
        { id: 101, op: "incr", args: ["n", 1] },
        { id: 103, op: "incr", args: ["n", 3] },
        { id: 5000, op: "get", args: ["n"] },
      ]),
    );
    const resent = answersOf(replies.shift()!);
    t.same(
      resent.map((a) => a.value),
      [first.find((a) => a.id === 101)!.value, first.find((a) => a.id === 103)!.value, sum],
      "resends get their first answers; the total is unchanged",
    );
    await handle("c2", batchOf([{ id: 101, op: "incr", args: ["n", 1] }]));
    t.same(
      answersOf(replies.shift()!).map((a) => a.value),
      [sum + 1],
      "the same id from another client is another request",
    );

    await handle("c1", [BATCH_MARKER, Buffer.from([0, 0, 0, 1, 3, 0x73])]); // a malformed batch is dropped
    await handle("c1", [BATCH_MARKER]); // so is a marker without a batch
    t.equal(replies.length, 0, "a malformed batch, or a marker without one, gets no answer");
    const id = Buffer.from([0, 0, 0, 9]);
    await handle("c1", [id, Buffer.from("get"), serialize(["n"])]);
    t.same(
      replies.shift(),
      [id, Buffer.from("ok"), serialize(sum + 1)],
      "a lone structured-clone request still gets [id, ok, structured clone]",
    );
    await handle("c1", [id, Buffer.from("get"), encodeArgs(["n"])]);
    t.same(decodePayload(replies.shift()![2]!), sum + 1, "a lone compact request gets a compact answer");

    // No request stops the store (its host does, by signal): "shutdown" is an unknown op like any other.
    await handle(
      "c1",
      batchOf([
        { id: 1, op: "get", args: ["n"] },
        { id: 2, op: "shutdown", args: [] },
        { id: 3, op: "get", args: ["n"] },
      ]),
    );
    const afterShutdown = answersOf(replies.shift()!);
    t.same(
      afterShutdown.map((a) => a.ok),
      [true, false, true],
      "a shutdown request is refused and the store serves on",
    );
    t.match(afterShutdown[1]!.value.message, /unknown KeyValueStore operation "shutdown"/);
  },
);

t.test("the reply cache keeps the newest answers, bounded in entries and bytes", async (t) => {
  const cache = new ReplyCache(3, 1_000);
  const answer = (n: number) => ({ ok: true, bytes: Buffer.alloc(n) });
  const a = cache.of("a");
  cache.set("a", a, 1, answer(1));
  cache.set("a", a, 2, answer(1));
  const b = cache.of("b");
  cache.set("b", b, 1, answer(1));
  t.same([...cache.of("a").keys()], [1, 2], "one client's answers by id");
  t.same([...cache.of("b").keys()], [1], "another's apart");
  cache.set("b", b, 2, answer(1));
  t.same([...cache.of("a").keys()], [2], "past 3 entries the oldest goes");
  cache.set("b", b, 3, answer(1));
  t.equal(cache.of("a").size, 0, "a client whose answers all went has none");
  cache.set("a", a, 9, answer(1));
  t.same([...cache.of("a").keys()], [9], "and gets new ones kept again");
  cache.set("b", b, 4, answer(900));
  t.same([...cache.of("b").keys()], [4], "past the byte limit, the oldest go until it fits");
  t.equal(cache.of("a").size, 0, "whoever they belonged to");
});

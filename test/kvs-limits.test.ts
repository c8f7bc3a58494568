/**
 * No KVS request can hold the store: a pathological `keys` pattern on thousands of keys and a get
 * sent with it both answer; patterns over MAX_PATTERN_LENGTH, values nested deeper than
 * MAX_VALUE_DEPTH, sharing an object, holding a BigInt over MAX_BIGINT_BITS or a mostly-holes
 * array are refused with one-line errors naming the limit, storing nothing; the same server goes
 * on. In process: deep JSON text is refused before it is parsed, a batch over MAX_BATCH_BYTES is
 * dropped and the service keeps answering.
 */
import t from "tap";
import { serialize } from "node:v8";
import { BATCH_MARKER, MAX_BATCH_BYTES, packRequests, requestBytes, unpackAnswers } from "../runtime/wire/kvs-batch.js";
import { decodePayload, encodeArgs } from "../runtime/wire/kvs-codec.js";
import { MAX_VALUE_DEPTH } from "../runtime/kvs/request-limits.js";
import { KvsService } from "../runtime/kvs/server.js";
import { Store } from "../runtime/kvs/store.js";
import { rejectsWith, resolvesWith, runFixture, scratchDir } from "./lib/kvs-helpers.js";
import type { TapTest } from "./lib/scenario.js";

t.test("costly requests answer or are refused; the store keeps serving (kvs2-limits.ts)", async (t: TapTest) => {
  const { summary: s } = await runFixture(t, "kvs2-limits.ts", {
    cwd: scratchDir(t),
    env: { STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT: "10000" }, // a loaded machine: assert answers, not their speed
  });
  resolvesWith(t, s.pathological, [], "keys with 511 '*a' then '#'");
  resolvesWith(t, s.longest, 500, "keys with the longest pattern (1,023 stars, '9'): the keys ending in 9");
  resolvesWith(t, s.getAfter, "intact", "the get sent with them");
  rejectsWith(t, s.refused?.tooLong, "TypeError", "a 1,025-character pattern", {
    message: /^keys pattern is 1025 characters, over MAX_PATTERN_LENGTH \(1024\)$/,
  });
  rejectsWith(t, s.refused?.deep, "RangeError", "a value nested 2,000 deep", {
    message: /nested deeper than MAX_VALUE_DEPTH \(512 levels\)/,
  });
  rejectsWith(t, s.refused?.shared, "TypeError", "a value that holds the level below twice, 40 levels deep", {
    message: /refer to the same objects too often/,
  });
  rejectsWith(t, s.refused?.cyclic, "RangeError", "a value that holds itself", { message: /hold themselves \(a cycle\)/ });
  rejectsWith(t, s.refused?.bigint, "RangeError", "a 70,001-bit BigInt", { message: /over MAX_BIGINT_BITS \(65536 bits\)/ });
  rejectsWith(t, s.refused?.sparse, "RangeError", "an array of length 2**32 - 1 with one element", { message: /mostly holes/ });
  for (const [name, message] of Object.entries(s.refused ?? {}))
    t.notMatch((message as { message?: string }).message, /\n/, `${name}: one line`);
  resolvesWith(t, s.accepted?.nested500, true, "a value nested 500 deep is stored");
  resolvesWith(t, s.accepted?.bigint, "true", "a 60,001-bit BigInt is stored");
  resolvesWith(t, s.accepted?.sameMapTwiceApart, 2, "equal Maps that are not the same object are stored");
  resolvesWith(t, s.accepted?.sameMapTwice, 2, "so is a value holding one Map twice");
  t.same(s.refusedStored, [], "no refused value was stored");
  t.equal(s.samePid, true, "the same server process answers afterwards");
  t.equal(s.kAtEnd, "intact", "with the data intact");
  t.equal(s.key1Count, 500, "and keys answers as before");
});

t.test("KvsService: deep JSON text is refused unparsed; a batch over MAX_BATCH_BYTES is dropped", async (t) => {
  const service = new KvsService({ store: new Store() });
  const replies: Buffer[][] = [];
  const handle = async (frames: Buffer[]) => service.handle("c1", frames, (reply) => replies.push(reply));
  const id = (n: number) => Buffer.from([0, 0, 0, n]);
  const answer = (frames: Buffer[] | undefined) => ({ status: frames?.[1]?.toString(), value: decodePayload(frames![2]!) as any });

  const deep = 10_000_000;
  await handle([id(1), Buffer.from("set"), Buffer.from(`["deep",${"[".repeat(deep)}${"]".repeat(deep)}]`)]);
  const refused = answer(replies.shift());
  t.equal(refused.status, "error", "JSON nested 10,000,000 deep: an error answer");
  t.match(
    refused.value,
    { name: "RangeError", message: new RegExp(`MAX_VALUE_DEPTH \\(${MAX_VALUE_DEPTH} levels\\)`) },
    "naming the limit",
  );
  await handle([id(2), Buffer.from("set"), Buffer.from(`["brackets","${"[".repeat(2_000)}"]`)]);
  t.same(answer(replies.shift()), { status: "ok", value: "[".repeat(2_000) }, "brackets inside a string are not nesting");
  await handle([id(3), Buffer.from("set"), serialize(["v8", [[[[1]]]]])]);
  t.same(answer(replies.shift()), { status: "ok", value: [[[[1]]]] }, "a shallow structured-clone value is stored");

  const ping = { id: 4, op: "ping", payload: encodeArgs([]) };
  const count = Math.ceil((MAX_BATCH_BYTES + 1) / requestBytes(ping.op, ping.payload));
  const tooMany = Array.from({ length: count }, (_, i) => ({ ...ping, id: 10 + i }));
  await handle([BATCH_MARKER, packRequests(tooMany, count * requestBytes(ping.op, ping.payload))]);
  t.same(replies, [], `a batch of ${count} pings, over MAX_BATCH_BYTES, is not answered`);
  const fits = tooMany.slice(0, 3);
  await handle([BATCH_MARKER, packRequests(fits, 3 * requestBytes(ping.op, ping.payload))]);
  const answers = unpackAnswers(replies.shift()![1]!);
  t.equal(Array.isArray(answers) && answers.length, 3, "a batch within the limit is answered");
  await handle([id(5), Buffer.from("get"), encodeArgs(["brackets"])]);
  t.equal(answer(replies.shift()).value, "[".repeat(2_000), "and so is a request after it");
});

/**
 * The local transport (runtime/transport/local-router.ts, local-link.ts): stream framing, and a LocalRouter with LocalDealers over
 * real unix sockets, as the broker and its peers on this machine use them: routing ids named or
 * assigned, handover, unknown peers, oversized or malformed messages, sends before the server is up.
 */
import t from "tap";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeMessage, MessageReader } from "../runtime/wire/framing.js";
import { LocalDealer } from "../runtime/transport/local-link.js";
import { LocalRouter } from "../runtime/transport/local-router.js";

/** The next message an async iterable gives. */
async function next(source: AsyncIterable<Buffer[]>): Promise<string[]> {
  for await (const frames of source) return frames.map((frame) => frame.toString("latin1"));
  throw new Error("the stream ended");
}

t.test("framing: messages cut anywhere come out whole; bad lengths throw", async (t) => {
  const messages = [[Buffer.from("a"), Buffer.alloc(0), Buffer.alloc(3000, 1)], [Buffer.alloc(0)], [Buffer.from("last")]];
  const stream = Buffer.concat(messages.map(encodeMessage));
  for (const size of [1, 3, 7, 2999, 4096, stream.length]) {
    const reader = new MessageReader();
    const seen: Buffer[][] = [];
    for (let at = 0; at < stream.length; at += size)
      reader.push(stream.subarray(at, at + size), (frames) => seen.push(frames.map((f) => Buffer.from(f))));
    t.same(seen, messages, `messages cut into ${size}-byte chunks come out whole`);
  }
  // A message that spans chunks is copied alone: not with the bytes after it (the next message's).
  // 40,000 bytes: more than Node's buffer pool serves (Buffer.poolSize / 2: 4 KiB on Node 20, 32 on 24).
  const split = encodeMessage([Buffer.alloc(40_000, 2)]);
  const after = encodeMessage([Buffer.alloc(60_000, 3)]);
  const pieces: Buffer[][] = [];
  const reader = new MessageReader();
  reader.push(split.subarray(0, 30_000), (frames) => pieces.push(frames));
  reader.push(Buffer.concat([split.subarray(30_000), after]), (frames) => pieces.push(frames));
  t.same(
    pieces.map((frames) => frames.map((frame) => frame.length)),
    [[40_000], [60_000]],
    "a message cut in two, then the next one, come out whole",
  );
  t.equal(pieces[0]![0]!.buffer.byteLength, split.length, "the message cut in two holds its own bytes only, not the next message's");
  const seen: Buffer[][] = [];
  new MessageReader().push(encodeMessage(["ключ", new Uint8Array([1, 2]), Buffer.from("b")]), (frames) => seen.push(frames));
  t.same(seen[0]?.map(String), ["ключ", "\u0001\u0002", "b"], "strings travel as UTF-8, typed arrays as their bytes");
  t.throws(
    () => new MessageReader(100).push(encodeMessage([Buffer.alloc(200)]), () => {}),
    /over the limit/,
    "a message over the limit throws",
  );
  const badFrame = Buffer.from([0, 0, 0, 6, 0, 0, 0, 9, 1, 2]);
  t.throws(() => new MessageReader().push(badFrame, () => {}), /longer than its message/, "so does a frame longer than its message");
});

t.test("router and dealers: ids, replies, handover, unknown peers, bad messages, early sends", { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-local-test-"));
  const path = join(dir, "router.sock");
  const closers: { close(): void }[] = [];
  t.teardown(() => {
    for (const socket of closers) socket.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const dealer = (routingId = "") => {
    const socket = new LocalDealer(path, { routingId }); // "": the router assigns one
    closers.push(socket);
    return socket;
  };

  // Sent before anything listens: held, and delivered once the router is up.
  const early = dealer("w1");
  const earlySend = early.send(["early", "bird"]);
  const router = await LocalRouter.bind(path, 1000);
  closers.push(router);
  await earlySend;
  t.same(await next(router), ["w1", "early", "bird"], "a send before the server listens arrives once it does");

  const anonymous = dealer();
  await anonymous.send(["hello"]);
  const [assigned, ...rest] = await next(router);
  t.same(rest, ["hello"], "an anonymous dealer's message arrives");
  t.match(assigned, /^\0local:\d+$/, "with a routing id the router assigned");
  t.ok(router.has(assigned!), "which the router knows");
  await router.send([Buffer.from(assigned!, "latin1"), "reply", Buffer.from([0, 255])]);
  t.same(await next(anonymous), ["reply", "\u0000\u00ff"], "a reply reaches the dealer, frames intact");

  await router.send(["nobody", "lost"]);
  t.pass("a message for an unknown peer is dropped, no error");

  const takeover = dealer("w1");
  await takeover.send(["again"]);
  t.same(await next(router), ["w1", "again"], "a second dealer with the same id is heard");
  await router.send(["w1", "to the new one"]);
  t.same(await next(takeover), ["to the new one"], "and takes the id over (handover)");

  const raw = connect(path);
  closers.push({ close: () => raw.destroy() });
  const rawClosed = new Promise((resolve) => raw.on("close", resolve));
  raw.write(encodeMessage(["bad"]));
  raw.write(encodeMessage([Buffer.alloc(2000)]));
  await rawClosed;
  t.pass("a message over the limit costs its sender the connection");
  await anonymous.send(["still", "here"]);
  t.same((await next(router)).slice(1), ["still", "here"], "the router serves the others on");
});

/** Fifo (runtime/util/fifo.ts): the broker's queued jobs, a worker's held jobs, a socket's messages, the QueueManager's finished jobs waiting to be taken. */
import t from "tap";
import { Fifo } from "../runtime/util/fifo.js";

t.test("first in, first out, through shift and takeAll", async (t) => {
  const buffer = new Fifo<number>();
  t.equal(buffer.shift(), undefined, "empty: shift gives undefined");
  t.same(buffer.takeAll(), [], "and takeAll an empty array");
  for (let i = 1; i <= 5; i++) buffer.push(i, 0);
  t.equal(buffer.length, 5, "five pushed");
  t.equal(buffer.shift(), 1, "shift takes the oldest");
  t.equal(buffer.shift(), 2);
  buffer.push(6, 0);
  t.same(buffer.takeAll(), [3, 4, 5, 6], "takeAll gives the rest, oldest first");
  t.equal(buffer.length, 0, "and leaves it empty");
  buffer.push(7, 0);
  t.same(buffer.takeAll(), [7], "it fills again after");
});

t.test("grows to the expected count at once, and arrays taken are the caller's", async (t) => {
  const buffer = new Fifo<number>();
  const count = 100_000;
  for (let i = 0; i < count; i++) buffer.push(i, count - i - 1);
  const all = buffer.takeAll();
  t.equal(all.length, count, "every item");
  t.ok(
    all.every((value, i) => value === i),
    "in order, no holes",
  );
  buffer.push(-1, 0);
  t.equal(all.length, count, "pushing again does not touch the array handed out");
  t.same(buffer.takeAll(), [-1]);
});

t.test("a few at a time from a buffer sized for many", async (t) => {
  const buffer = new Fifo<string>();
  const taken: string[] = [];
  for (let round = 0; round < 50; round++) {
    buffer.push(`a${round}`, 10_000);
    buffer.push(`b${round}`, 10_000);
    if (round % 7 === 3) taken.push(buffer.shift()!);
    taken.push(...buffer.takeAll());
  }
  t.equal(taken.length, 100, "every item taken once");
  t.same(taken.slice(0, 4), ["a0", "b0", "a1", "b1"], "in order");
  t.equal(new Set(taken).size, 100, "none twice");
});

t.test("items put back go first, in their order; removeAll keeps the others' order", async (t) => {
  const fifo = new Fifo<number>();
  for (let i = 1; i <= 4; i++) fifo.push(i);
  fifo.unshift([-1, 0]);
  t.same([fifo.shift(), fifo.shift(), fifo.shift()], [-1, 0, 1], "put back at the front, before what was there");
  fifo.unshift([10, 11]); // where the shifted ones were
  t.same(
    fifo.removeAll((n) => n % 2 === 0),
    [10, 2, 4],
    "the matching ones, in order",
  );
  t.same(
    fifo.removeAll(() => false),
    [],
    "none matching: nothing removed",
  );
  t.same(fifo.takeAll(), [11, 3], "the others stay, in order");
  fifo.unshift([]);
  t.equal(fifo.length, 0, "putting back nothing changes nothing");
});

t.test("a long backlog drained while it fills: every item once, in order", async (t) => {
  const fifo = new Fifo<number>();
  let next = 0;
  let expected = 0;
  let wrong = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 3_000; i++) fifo.push(next++);
    for (let i = 0; i < 2_000; i++) if (fifo.shift() !== expected++) wrong++;
  }
  while (fifo.length > 0) if (fifo.shift() !== expected++) wrong++;
  t.equal(wrong, 0, "past many sheddings of the consumed part");
  t.equal(expected, next, "and nothing lost");
  t.equal(fifo.shift(), undefined, "then empty");
});

t.test("a worker's held jobs: first is the running one, take finds any by match, toArray copies", async (t) => {
  const held = new Fifo<{ id: string }>();
  t.equal(held.first, undefined, "empty: no first");
  t.equal(
    held.take(() => true),
    undefined,
    "and nothing to take",
  );
  for (const id of ["a", "b", "c", "d"]) held.push({ id });
  t.equal(held.first?.id, "a", "first is the oldest, left in place");
  t.equal(held.length, 4);
  t.equal(held.take((job) => job.id === "c")?.id, "c", "one from the middle");
  t.same(
    held.toArray().map((job) => job.id),
    ["a", "b", "d"],
    "the others keep their order",
  );
  t.equal(held.take((job) => job.id === "a")?.id, "a", "the first, taken as a shift");
  t.equal(held.first?.id, "b", "the next is first");
  t.equal(
    held.take((job) => job.id === "zz"),
    undefined,
    "no match: undefined, nothing removed",
  );
  const copy = held.toArray();
  copy.pop();
  t.equal(held.length, 2, "toArray's array is a copy");
  held.push({ id: "e" });
  t.same(
    held.takeAll().map((job) => job.id),
    ["b", "d", "e"],
    "a push after a take from the middle goes last",
  );
});

t.test("a queue filled as it is emptied, lap after lap (a worker's held jobs): every item once, in order", async (t) => {
  const fifo = new Fifo<number>();
  let next = 0;
  let expected = 0;
  let wrong = 0;
  for (let i = 0; i < 300; i++) fifo.push(next++); // a steady backlog, then one in for each one out
  for (let step = 0; step < 20_000; step++) {
    fifo.push(next++);
    if (step % 5 === 0) fifo.push(next++, 2); // now and then two, with room asked for more
    if (fifo.shift() !== expected++) wrong++;
    if (step % 5 === 0 && fifo.shift() !== expected++) wrong++;
  }
  t.equal(wrong, 0, "in order past many laps");
  t.equal(fifo.length, 300, "the backlog as it was");
  t.same(
    fifo.takeAll(),
    Array.from({ length: 300 }, (_, i) => expected + i),
    "and what is left is the newest, in order",
  );
});

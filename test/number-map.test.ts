/** NumberMap (runtime/util/number-map.ts), the QueueManager's table of outstanding jobs by number. */
import t from "tap";
import { NumberMap } from "../runtime/util/number-map.js";

t.test("set, get, has, delete and size across pages; keys in order; pages freed", async (t) => {
  const map = new NumberMap<string>();
  const keys = [1, 2, 1023, 1024, 1025, 5000, 2 ** 31 - 1, 2 ** 31 + 5, 2 ** 40 + 3];
  for (const key of keys) map.set(key, `v${key}`);
  t.equal(map.size, keys.length, "one entry per key");
  for (const key of keys) t.equal(map.get(key), `v${key}`, `get(${key})`);
  t.notOk(map.has(3), "a key never set is absent");
  t.equal(map.get(4096), undefined, "so is one on a page never made");
  map.set(1024, "again");
  t.equal(map.size, keys.length, "setting a key again does not add one");
  t.equal(map.get(1024), "again", "and replaces its value");
  t.same([...map.keys()], keys, "keys: ascending within a page, pages in the order they were made");
  t.ok(map.delete(1), "delete says it removed a key");
  t.notOk(map.delete(1), "and that it did not, the second time");
  t.notOk(map.delete(77), "or for a key never set");
  for (const key of keys) map.delete(key);
  t.equal(map.size, 0, "empty after every key is deleted");
  t.same([...map.keys()], [], "no keys left (their pages were freed)");
  map.set(5, "back");
  t.same([...map.keys()], [5], "a freed page comes back when needed");
});

t.test("a page emptied is reused for the next page, clean", async (t) => {
  const map = new NumberMap<string>();
  for (let key = 1; key <= 3; key++) map.set(key, `v${key}`);
  for (let key = 1; key <= 3; key++) map.delete(key);
  map.set(5000, "far"); // another page: made from the one just emptied
  t.equal(map.get(5000), "far");
  for (let key = 1; key <= 3; key++) t.equal(map.get(key), undefined, `key ${key} stays gone`);
  for (let key = 4097; key <= 4099; key++)
    t.equal(map.get(key), undefined, `key ${key}: the reused page (keys 4096-5119) holds nothing of its past`);
  t.same([...map.keys()], [5000], "one key");
  t.equal(map.size, 1);
  map.set(7, "near"); // the first page again, new now that the spare is taken
  t.same([...map.keys()], [5000, 7], "both pages hold their own keys");
});

t.test("a million keys set and deleted out of order", async (t) => {
  const map = new NumberMap<number>();
  const count = 1_000_000;
  for (let key = 1; key <= count; key++) map.set(key, key);
  let wrong = 0;
  for (let key = count; key >= 1; key -= 2) if (!map.delete(key) || map.get(key) !== undefined) wrong++;
  t.equal(wrong, 0, "every other key deleted, from the top");
  t.equal(map.size, count / 2, "half are left");
  for (let key = 1; key <= count; key += 2) if (map.get(key) !== key) wrong++;
  t.equal(wrong, 0, "each with its value");
});

/**
 * What makes the interval snapshot due: every request that could change the store counts (a
 * `transact` too, which writes through its journal, not the store's own operations); reads do not.
 */
import t from "tap";
import { join } from "node:path";
import { serialize } from "node:v8";
import { KvsService } from "../runtime/kvs/server.js";
import { Store } from "../runtime/kvs/store.js";
import { Transactions } from "../runtime/kvs/transactions.js";

t.test("writes and transactions count as changes, reads do not", async (t) => {
  const dir = t.testdir({ "script.mjs": "export function bump(store, key) { return store.incrValue(key); }\n" });
  const store = new Store();
  const service = new KvsService({
    store,
    transactions: new Transactions(store, { timeoutMs: 5_000, maxValueBytes: 1 << 20, bundle: join(dir, "script.mjs") }),
  });
  let id = 0;
  const request = async (op: string, ...args: unknown[]) => {
    const requestId = Buffer.alloc(4);
    requestId.writeUInt32BE(++id);
    let status = "";
    await service.handle("c1", [requestId, Buffer.from(op), serialize(args)], (reply) => (status = reply[1]!.toString()));
    t.equal(status, "ok", `${op} answered`);
  };

  await request("set", "a", 1);
  t.equal(store.changes, 1, "a set counts");
  await request("get", "a");
  await request("keys");
  t.equal(store.changes, 1, "reads do not");
  await request("transact", "bump", "n");
  t.equal(store.read("n"), 1, "the transaction ran");
  t.equal(store.changes, 2, "a transaction counts: the interval snapshot saves what it wrote");
});

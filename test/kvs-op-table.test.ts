/**
 * The table of store operations (KVS_OPS, runtime/wire/kvs.ts) against the classes that offer
 * them. Type-level first: this file fails `tsc -p test/tsconfig.json` when `KeyValueStore` or
 * `TransactionStore` lacks a method the table names, or has one the table does not. Then the same
 * at run time, with the server's handlers and a transaction's view.
 */
import t from "tap";
import { HANDLERS } from "../runtime/kvs/handlers.js";
import { Store } from "../runtime/kvs/store.js";
import { TransactionView } from "../runtime/kvs/view.js";
import { KVS_OPS, KVS_READ_ONLY_OPS, type KvsOp, type TransactionOp } from "../runtime/wire/kvs.js";
import type { TransactionStore } from "../runtime/wire/transaction-store.js";
import { KeyValueStore } from "../stdlib/key-value-store.js";

type PublicMethod = NonNullable<(typeof KVS_OPS)[KvsOp]["method"]>;
type TransactionMethod = (typeof KVS_OPS)[TransactionOp]["method"];
type AnyFunction = (...args: never[]) => unknown;

// Each method the table names exists (else: "Property '…' is missing in type …").
const publicMethods: Record<PublicMethod, AnyFunction> = KeyValueStore;
const transactionMethods = (store: TransactionStore): Record<TransactionMethod, AnyFunction> => store;
// Each method of the classes is in the table (else: "Type '"…"' is not assignable to …").
// stopServerProcess sends no op: the host stops its store by signal, never over a socket.
const _publicInTable = (name: Exclude<keyof typeof KeyValueStore, "prototype" | "stopServerProcess">): PublicMethod => name;
const _transactionInTable = (name: keyof TransactionStore): TransactionMethod => name;

const ops = Object.keys(KVS_OPS) as KvsOp[];

t.test("the server has a handler for each op of the table, and no other", async (t) => {
  t.same(Object.keys(HANDLERS).sort(), [...ops].sort());
  t.ok(
    Object.values(HANDLERS).every((handler) => typeof handler === "function"),
    "each a function",
  );
});

t.test("the read-only set is the table's read-only ops", async (t) => {
  t.same([...KVS_READ_ONLY_OPS].sort(), ops.filter((op) => KVS_OPS[op].readOnly).sort());
  t.notOk(KVS_READ_ONLY_OPS.has("dump"), "dump writes a file: kept for resends");
});

t.test("KeyValueStore and a transaction's store have the methods the table names", async (t) => {
  const publicNames = ops.flatMap((op) => KVS_OPS[op].method ?? []);
  for (const name of publicNames) t.type(publicMethods[name], "function", `KeyValueStore.${name}`);
  const publicStatics = Object.getOwnPropertyNames(KeyValueStore).filter(
    (name) => typeof (KeyValueStore as unknown as Record<string, unknown>)[name] === "function",
  );
  t.same(
    publicStatics.filter((name) => name !== "stopServerProcess").sort(),
    [...publicNames].sort(),
    "and no method beside them but stopServerProcess",
  );

  const view = transactionMethods(new TransactionView(new Store()));
  const transactionNames = ops.flatMap((op) => (KVS_OPS[op].inTransaction ? [KVS_OPS[op].method!] : [])) as TransactionMethod[];
  for (const name of transactionNames) t.type(view[name], "function", `TransactionStore.${name}`);
});

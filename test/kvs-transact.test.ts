/**
 * KeyValueStore.transact through the built CLI: an exported function of the script runs on the
 * server, atomically; one that throws leaves the store unchanged and its error reaches the caller
 * typed, pointing at the script's line; one that loops forever is stopped (TransactionAborted)
 * and the server goes on; async functions, promises and unsendable results are refused.
 */
import t from "tap";
import { fixture } from "./lib/cli.js";
import { noCrashes, rejectsWith, resolvesWith, runFixture, scratchDir } from "./lib/kvs-helpers.js";

const LIMIT_MS = 150;
const UNCHANGED = { a: "original", b: "kept", list: [1, 2], fn: false };

t.test("transactions (kvs2-transact.ts)", async (t) => {
  const { summary } = await runFixture(t, "kvs2-transact.ts", {
    cwd: scratchDir(t),
    env: { STRMBRKR_KVS_TRANSACTION_TIMEOUT: String(LIMIT_MS), STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT: "3000" },
  });
  const r: Record<string, Record<string, any>> = summary.results ?? {};
  noCrashes(t, r);

  t.test("a transaction commits its writes and resolves with its result", async (t) => {
    const s = r.commits ?? {};
    resolvesWith(t, s.transfer, 4, "transact(transfer, 'alice', 'bob', 4)");
    t.equal(s.alice, 6, "alice was debited");
    t.equal(s.bob, 4, "bob was credited");
    resolvesWith(
      t,
      s.args,
      [1, "two", { map: [["x", { bigint: "3" }]] }, null],
      "arguments arrive structured-cloned (Map, BigInt, undefined)",
    );
  });

  t.test("a transaction that throws changes nothing; the error arrives typed", async (t) => {
    const s = r.throws ?? {};
    rejectsWith(t, s.range, "RangeError", "a RangeError", { message: /^refused on purpose$/ });
    rejectsWith(t, s.cacheMiss, "CacheMiss", "a strmbrkr error", { code: "ERR_STRMBRKR_CACHE_MISS", strmbrkrError: true });
    t.equal(s.custom?.name, "InsufficientFunds", "a custom error keeps its name");
    t.equal(s.custom?.code, "E_FUNDS", "and its code");
    t.equal(s.custom?.message, "custom failure", "and its message");
    t.match(s.string?.message, /non-Error value thrown: "a string"/, "a thrown string becomes an Error");
    for (const kind of ["range", "cacheMiss", "custom", "string"]) t.same(s[`${kind}State`], UNCHANGED, `${kind}: the store is unchanged`);
    const stack = String(s.stack);
    t.match(stack, /^RangeError: refused on purpose\n/, "the stack starts with the error");
    t.match(
      stack,
      new RegExp(`at writeThenThrow \\(${fixture("kvs2-transact.ts").replace(/[.]/g, "\\.")}:24:\\d+\\)`),
      "it shows the throwing line of the script (source-mapped)",
      { stack },
    );
    t.match(stack, /at async main \(.*kvs2-transact\.ts:\d+:\d+\)/, "and the caller's line in main", { stack });
    t.notMatch(stack, /runtime\/kvs\//, "but not strmbrkr's server frames", { stack });
  });

  t.test("a transaction past the limit is stopped; the server keeps serving", async (t) => {
    const s = r.limit ?? {};
    rejectsWith(t, s.spin, "TransactionAborted", "for (;;) {}", {
      code: "ERR_STRMBRKR_KVS_TRANSACTION_ABORTED",
      message: new RegExp(`spin was stopped after ${LIMIT_MS} ms`),
      strmbrkrError: true,
    });
    t.ok(s.spin?.ms >= LIMIT_MS - 10 && s.spin?.ms < LIMIT_MS + 2_000, `it was stopped after about ${LIMIT_MS} ms (${s.spin?.ms} ms)`);
    t.same(s.state, UNCHANGED, "its writes were dropped");
    t.equal(s.after?.pid, s.before?.pid, "the same server process answers afterwards");
    resolvesWith(t, s.next, ["next"], "and runs the next transaction");
  });

  t.test("async functions, promises, unsendable results and unstorable values are refused, changing nothing", async (t) => {
    const s = r.refused ?? {};
    rejectsWith(t, s.asyncTx, "TypeError", "an async function", { message: /asyncTx is async; transactions must be synchronous/ });
    rejectsWith(t, s.returnsPromise, "TypeError", "a function returning a promise", { message: /returned a promise/ });
    rejectsWith(t, s.returnsFunction, "TypeError", "a function returning a function", { message: /cannot be sent back/ });
    rejectsWith(t, s.storesFunction, "TypeError", "a function storing a function", {
      message: /wrote a value under 'fn' that cannot be stored/,
    });
    for (const name of ["asyncTx", "returnsPromise", "returnsFunction", "storesFunction"])
      t.same(s[`${name}State`], UNCHANGED, `${name}: the store is unchanged`);
    rejectsWith(t, s.notExported, "TypeError", "a function the script does not export", {
      message: /notExported is not an export of .*kvs2-transact\.ts/,
    });
    rejectsWith(t, s.unknownName, "TypeError", "an unknown export name", { message: /noSuchExport is not an exported function/ });
    rejectsWith(t, s.notFunction, "TypeError", "a number", { message: /fn must be an exported function or its name/ });
  });

  t.test("the view: in-place changes, deletes and new keys commit together; a kept view is dead", async (t) => {
    const s = r.view ?? {};
    resolvesWith(
      t,
      s.inside,
      { keysInside: ["a", "c", "h", "list"], existsB: false, list: [1, 2, 3] },
      "what the transaction saw of its own writes",
    );
    t.same(
      s.after,
      { a: "original", list: [1, 2, 3], fn: false, c: { map: [["k", { bigint: "1" }]] }, h: 3, keys: ["a", "c", "h", "list"] },
      "what it committed",
    );
    resolvesWith(t, s.kept, "original", "a transaction that keeps its view");
    rejectsWith(t, s.reuse, "Error", "using that view in a later transaction", { message: /this transaction has ended/ });
    t.equal(s.aAfterReuse, "original", "changed nothing");
  });

  t.test("from a job: by reference and by name", async (t) => {
    t.equal(summary.job?.status, "processed", "the job was processed", { job: summary.job });
    const s = summary.job?.retval ?? {};
    resolvesWith(t, s.byReference, 1, "transact(transfer, …)");
    resolvesWith(t, s.byName, 2, "transact('transfer', …)");
    rejectsWith(t, s.refused, "RangeError", "a transfer over the balance", { message: /alice has only 8/ });
    t.same(summary.balances, { alice: 8, bob: 2 }, "the balances");
  });
});

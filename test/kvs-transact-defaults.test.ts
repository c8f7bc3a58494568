/**
 * With default settings a runaway transaction gets the documented TransactionAborted, not a
 * TransactionTimeout: the client waits for a transact as long as the store may take to abort it,
 * reruns for starvation included (a transaction blocked without using CPU always looks starved).
 */
import t from "tap";
import { runFixture, scratchDir } from "./lib/kvs-helpers.js";

t.test("a transaction the store reruns as starved and then aborts, with default timeouts", { timeout: 60_000 }, async (t) => {
  const { summary } = await runFixture(t, "kvs-transact-starved.ts", {
    cwd: scratchDir(t),
    env: {
      STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT: undefined,
      STRMBRKR_KVS_CLIENT_SOCKET_ATTEMPTS: undefined,
      STRMBRKR_KVS_TRANSACTION_TIMEOUT: undefined,
    },
  });
  t.match(
    summary,
    { name: "TransactionAborted", code: "ERR_STRMBRKR_KVS_TRANSACTION_ABORTED", message: /^transaction blocks was stopped after 200 ms/ },
    "TransactionAborted",
  );
  t.equal(summary.touched, false, "its write was dropped");
});

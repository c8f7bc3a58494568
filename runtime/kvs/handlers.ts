import type { KvsOp } from "../wire/kvs.js";
import { OPERATIONS } from "./ops.js";
import type { Store } from "./store.js";
import type { Transactions } from "./transactions.js";

/** Runs one op for the server: on the store, or, for `transact`, through the job script's transactions. */
export type Handler = (store: Store, args: unknown[], transactions: Transactions | undefined) => unknown;

/**
 * How the server runs each op of runtime/wire/kvs.ts, by its name: an op missing here, or one the
 * wire does not list, fails to compile. Those on keys are ops.ts's, shared with transactions.
 */
export const HANDLERS = {
  ...OPERATIONS,
  ping: (store) => ({ pid: process.pid, keys: store.size, uptimeSeconds: process.uptime() }),
  flush: (store) => {
    store.clear();
    return {};
  },
  dump: (store) => store.dump(),
  entries: (store) => store.entries(),
  overview: (store, [limit]) => store.overview(typeof limit === "number" ? limit : 200),
  // The dispatcher has checked this store runs transactions, and loaded the job script.
  transact: (_store, args, transactions) => transactions!.run(args),
} satisfies Record<KvsOp, Handler>;

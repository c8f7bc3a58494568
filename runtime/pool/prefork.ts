import { discardEarly, forkEarly, type Entry } from "../transport/children.js";
import { packageUrl } from "../util/package-root.js";

export const WORKER_ENTRY: Entry = { url: packageUrl("dist/runtime/worker/main.js"), loadsScript: true };

/** The hub's argument that asks it to fork this many workers before any pool is asked for. */
export const PREFORK_FLAG = "--prefork=";

/** Forks the workers `args` asks for (PREFORK_FLAG), to wait for a pool to take them (forkEntry). */
export function preforkWorkers(args: string[]): void {
  const count = Number(args.find((arg) => arg.startsWith(PREFORK_FLAG))?.slice(PREFORK_FLAG.length) ?? 0);
  if (Number.isInteger(count) && count > 0) forkEarly(WORKER_ENTRY, count);
}

/** Stops the workers forked on the guess that the first pool did not take. */
export function discardPreforked(): void {
  discardEarly(WORKER_ENTRY);
}

import { readRuntimeContext } from "../runtime/transport/children.js";

/**
 * The id of the worker process running this code — `"1.2"` (pool 1, worker 2) on this machine,
 * `"r1.2"` on a remote one — or undefined outside a worker (in `main`, in a program using the
 * library). Works at a script's top level too: a worker knows its id before it imports the script.
 */
export function currentWorkerId(): string | undefined {
  return readRuntimeContext()?.workerId;
}

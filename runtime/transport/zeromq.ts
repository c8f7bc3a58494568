import { createRequire } from "node:module";
import type * as Zmq from "zeromq";

const require = createRequire(import.meta.url);

/**
 * zeromq, loaded where it is first used: the host and local workers reach the broker and the store
 * over local sockets and never need it, and loading it is a noticeable share of a process's start-up
 * (BENCHMARKS.md; a run starts six). The processes that serve zeromq sockets import it as usual.
 */
export function zeromq(): typeof Zmq {
  return require("zeromq") as typeof Zmq;
}

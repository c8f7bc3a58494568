import { createRequire } from "node:module";
import type * as Zmq from "zeromq";

const require = createRequire(import.meta.url);

/**
 * zeromq, loaded where it is first used: the host and local workers reach the broker and the store
 * over local sockets and never need it, and loading it is a noticeable share of a process's start-up
 * (BENCHMARKS.md; a run starts six). Every process loads it here, as CommonJS: an ES import of a
 * CommonJS package has Node scan its source for export names first, ~10 ms of the hub's start.
 */
export function zeromq(): typeof Zmq {
  return require("zeromq") as typeof Zmq;
}

import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * node:crypto, loaded where it is first used, as zeromq is (runtime/transport/zeromq.ts): the modules
 * that need it (file names, key pairs) are shared by every process, and most of those processes never
 * call them — a worker loads the same chunk as the host. Loading it is ~3 ms of a process's start on
 * Node 20 and ~5 on Node 24, and an ES import of it also runs its lazy getters (Web Crypto).
 */
export const nodeCrypto = (): typeof import("node:crypto") => require("node:crypto") as typeof import("node:crypto");

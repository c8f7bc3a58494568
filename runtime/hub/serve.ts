import { getLogger } from "../config/logger.js";
import type { RouterLike } from "./router-group.js";

const log = getLogger("broker");

/** Longest a socket's messages are handled before the other socket and the timers get a turn. */
const FAIR_TURN_MS = 5;

/**
 * Hands each message of `socket` to `handle` (a malformed one is logged and dropped), calling
 * `after` once each is handled, until the socket closes. zeromq.js hands over queued messages
 * without leaving the event loop turn: a flood of submits would starve the workers' results (and
 * fire watchdogs on jobs long done), so every FAIR_TURN_MS the loop yields.
 */
export async function serveInTurns(socket: RouterLike, handle: (frames: Buffer[]) => void, after: () => void): Promise<void> {
  let turnStarted = performance.now();
  try {
    for await (const frames of socket) {
      try {
        handle(frames);
      } catch (error) {
        log.error(`dropped a malformed message: ${(error as Error).message}`);
      }
      after();
      if (performance.now() - turnStarted > FAIR_TURN_MS) {
        await new Promise(setImmediate);
        turnStarted = performance.now();
      }
    }
  } catch (error) {
    if (!socket.closed) log.error(`socket failed: ${(error as Error).message}`);
  }
}

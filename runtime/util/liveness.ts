/**
 * Heartbeats as the ZeroMQ guide's Paranoid Pirate has them: each side beats on a timer, counts
 * anything it hears as a sign of life, and acts on a peer silent for longer than it may be. The
 * hub's broker and gateway, a worker's link and a remote supervisor all keep one `Liveness` per
 * peer and check it on a `Heartbeat`; what a silent peer costs is theirs to decide.
 */

/** When a peer was last heard from, and whether it has been silent for longer than `silenceMs`. */
export class Liveness {
  readonly silenceMs: number;
  #lastHeardAt: number;

  constructor(silenceMs: number, now = Date.now()) {
    this.silenceMs = silenceMs;
    this.#lastHeardAt = now;
  }

  /** The peer said something (any message counts). */
  heard(now = Date.now()): void {
    this.#lastHeardAt = now;
  }

  silentForMs(now = Date.now()): number {
    return now - this.#lastHeardAt;
  }

  /** Silent for longer than `silenceMs`. */
  isSilent(now = Date.now()): boolean {
    return now - this.#lastHeardAt > this.silenceMs;
  }
}

/** Calls `check` every `intervalMs` until stopped: the loop that beats to peers and looks for silent ones. */
export class Heartbeat {
  #timer: NodeJS.Timeout;

  /** `unref`: the timer alone does not keep the process alive. */
  constructor(intervalMs: number, check: (now: number) => void, { unref = false } = {}) {
    this.#timer = setInterval(() => check(Date.now()), intervalMs);
    if (unref) this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

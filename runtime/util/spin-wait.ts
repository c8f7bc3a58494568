/**
 * Spin, then sleep. A process that has sent a message it expects an answer to keeps its event loop
 * turning (a setImmediate each turn, so libuv polls its sockets with no timeout) for up to a window
 * before it sleeps, and reads the answer without being woken. On a virtual machine a sleeping
 * process's wake-up is its vCPU's (an interrupt across CPUs, an exit to the hypervisor): tens of
 * µs, and a lone job's round trip or a store call pays one at each end (BENCHMARKS.md, "Spin, then
 * sleep"). Adaptive, as a spinning lock is: a spin the answer did not end (it came after the
 * window: the peer was slow, or was waiting for this very CPU) makes the next ones sleep at once,
 * 1, 2, 4 … up to MAX_SKIP exchanges, until a spin pays again; so a process whose answers come late
 * (a long job, a quiet store) burns next to nothing. All of a process's SpinWaits share one loop.
 */
const MAX_SKIP = 64;

/** Each spinning SpinWait and when its window ends (its clock's milliseconds). */
const spinning = new Map<SpinWait, number>();
let turning = false;

function turn(): void {
  for (const [spin, until] of spinning) if (spin.now() >= until) spinning.delete(spin);
  if (spinning.size > 0) setImmediate(turn);
  else turning = false;
}

export class SpinWait {
  readonly #windowMs: number;
  /** When the first unanswered message went, or -1. */
  #sentAt = -1;
  /** Whether a spin was started for the unanswered message. */
  #spun = false;
  /** Exchanges to sleep through before spinning again, and the length of the last such pause. */
  #skip = 0;
  #backoff = 0;
  readonly now: () => number;

  /** `windowUs`: how long to spin after a send, in µs; 0 never spins. `now`: the clock (tests pass their own). */
  constructor(windowUs: number, now: () => number = () => performance.now()) {
    this.#windowMs = windowUs / 1000;
    this.now = now;
  }

  /** A message that expects an answer has gone: spin for the window, unless recent spins did not pay. */
  sent(): void {
    if (this.#windowMs === 0) return;
    const now = this.now();
    if (this.#sentAt < 0) {
      this.#sentAt = now;
      this.#spun = this.#skip === 0;
      if (!this.#spun) this.#skip--;
    }
    if (!this.#spun) return;
    spinning.set(this, now + this.#windowMs);
    if (turning) return;
    turning = true;
    setImmediate(turn);
  }

  /** The answer came (or the next request): stop spinning; a spin it came too late for backs off. */
  answered(): void {
    spinning.delete(this);
    if (this.#sentAt < 0) return;
    if (this.#spun) {
      if (this.now() - this.#sentAt <= this.#windowMs) this.#backoff = 0;
      else this.#skip = this.#backoff = Math.min(MAX_SKIP, 2 * this.#backoff || 1);
    }
    this.#sentAt = -1;
  }

  /** Whether this SpinWait keeps the event loop turning now. */
  get spinning(): boolean {
    return spinning.has(this);
  }
}

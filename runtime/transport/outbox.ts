import type { MessageLike } from "zeromq";

interface Writable {
  send(message: MessageLike | MessageLike[]): Promise<void>;
  readonly closed: boolean;
}

/** A message, or a function that makes the next message of a run of them (undefined: the run is over). */
type Entry = MessageLike[] | (() => MessageLike[] | undefined);

/**
 * Serialises sends on one zeromq socket: zeromq.js rejects a send while another is in progress,
 * and callers here send from many places without awaiting.
 */
export class Outbox {
  #socket?: Writable;
  #pending: Entry[] = [];
  #draining = false;
  #onError: (error: Error) => void;
  #ready?: Promise<unknown>;

  /**
   * `socket`, or a promise of it (connected once the endpoint is known): sends wait for it, as
   * zeromq.js never completes a send queued before connect once a receive is pending. Rejected:
   * nothing is sent.
   */
  constructor(socket: Writable | Promise<Writable>, onError: (error: Error) => void) {
    this.#onError = onError;
    if (!(socket instanceof Promise)) {
      this.#socket = socket;
      return;
    }
    // Rejected: the caller reports why; pending sends are dropped.
    this.#ready = socket
      .then(
        (connected) => void (this.#socket = connected),
        () => {},
      )
      .finally(() => (this.#ready = undefined));
  }

  send(frames: MessageLike[]): void {
    this.#pending.push(frames);
    if (!this.#draining) void this.#drain();
  }

  /** Sends `frames` before whatever waits to be sent. */
  sendFirst(frames: MessageLike[]): void {
    this.#pending.unshift(frames);
    if (!this.#draining) void this.#drain();
  }

  /**
   * Sends the messages `next` makes, in order, each made only once the socket has taken the one
   * before (with a send high-water mark, once there is room): what waits here waits unencoded.
   */
  sendEach(next: () => MessageLike[] | undefined): void {
    this.#pending.push(next);
    if (!this.#draining) void this.#drain();
  }

  get idle(): boolean {
    return !this.#draining && this.#pending.length === 0;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    // Only while not yet ready: awaiting even a settled promise would hold this send until the
    // caller's synchronous code ends (a main that busy-loops right after queueJobs).
    if (this.#ready) await this.#ready;
    const socket = this.#socket;
    if (!socket) this.#pending = [];
    while (socket && this.#pending.length > 0 && !socket.closed) {
      const batch = this.#pending;
      this.#pending = [];
      for (const entry of batch) {
        try {
          if (typeof entry !== "function") await socket.send(entry);
          else for (let frames = entry(); frames && !socket.closed; frames = entry()) await socket.send(frames);
        } catch (error) {
          if (socket.closed) break;
          this.#onError(error as Error);
        }
      }
    }
    this.#draining = false;
  }
}

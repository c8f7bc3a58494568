import type { DashboardUpdate } from "../runtime/wire/dashboard.js";
import { SliceWindow } from "./slice-window.js";

/** Where the page stands with the server's event stream. */
export type LinkStatus =
  /** Before the first update. */
  | "connecting"
  | "live"
  /** The stream dropped before the run ended; EventSource retries by itself. */
  | "reconnecting"
  /** The run ended (its last update said "stopped"): the stream is closed for good. */
  | "ended"
  /** The server refused the stream (EventSource gives up on a non-200 answer, e.g. no cookie). */
  | "refused";

/**
 * The page's one link to the server: `GET events` (server-sent events, one DashboardUpdate each),
 * the latest update, the duration bounds (sent once per connection) and a capped window of task
 * slices. Listeners hear of every change; they read the fields, which are replaced, never mutated.
 */
export class Connection {
  readonly slices = new SliceWindow();
  update: DashboardUpdate | null = null;
  bounds: readonly number[] | null = null;
  status: LinkStatus = "connecting";
  /** Updates received since the page loaded. */
  updates = 0;
  /** `performance.now()` when the latest update arrived: the task stream slides on from there. */
  receivedAt = 0;

  readonly #url: string;
  readonly #listeners = new Set<() => void>();
  #source: EventSource | null = null;

  constructor(url = "events") {
    this.#url = url;
  }

  start(): void {
    // Relative URL: the page may sit behind a reverse proxy under a path. The server's cookie authenticates it.
    const source = new EventSource(this.#url);
    this.#source = source;
    source.onmessage = (event: MessageEvent<string>) => this.#receive(event.data);
    source.onerror = () => {
      if (this.update?.run.state === "stopped") this.#end();
      else this.#setStatus(source.readyState === EventSource.CLOSED ? "refused" : "reconnecting");
    };
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The server's clock now, estimated from its last update; it stands still once the run stopped. */
  serverNow(): number {
    const update = this.update;
    if (!update) return Date.now();
    if (update.run.state === "stopped") return update.run.now;
    return update.run.now + (performance.now() - this.receivedAt);
  }

  #receive(data: string): void {
    let update: DashboardUpdate;
    try {
      update = JSON.parse(data) as DashboardUpdate;
    } catch {
      console.warn("strmbrkr dashboard: an update that is not JSON, skipped");
      return;
    }
    // `bounds` comes first on each connection, with the recent slices again: start the window afresh.
    if (update.bounds) {
      this.bounds = update.bounds;
      this.slices.clear();
    }
    this.slices.add(update.slices ?? [], update.run.now);
    this.update = update;
    this.receivedAt = performance.now();
    this.updates++;
    if (update.run.state === "stopped") this.#end();
    else this.#setStatus("live", true);
  }

  /** The run is over: close the stream, or EventSource would retry against a server that is gone. */
  #end(): void {
    this.#source?.close();
    this.#setStatus("ended", true);
  }

  #setStatus(status: LinkStatus, changed = false): void {
    if (status === this.status && !changed) return;
    this.status = status;
    for (const listener of this.#listeners) listener();
  }
}

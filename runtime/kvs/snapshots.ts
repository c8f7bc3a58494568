import { getLogger } from "../config/logger.js";
import { loadSnapshot, saveSnapshot, saveSnapshotSync } from "./snapshot.js";
import type { Store } from "./store.js";

const log = getLogger("kvs");

/**
 * The store's persistence: loaded once at start, saved every `intervalSeconds` while it changed
 * (encoded at once, written without blocking the server), and saved at exit. A save always goes to
 * a temporary file renamed over the snapshot.
 */
export class Snapshots {
  #path: string;
  #store: Store;
  #timer?: NodeJS.Timeout;
  #savedAt = 0;
  /** The interval save in progress, if any. */
  #saving?: AbortController;

  private constructor(path: string, store: Store, intervalSeconds: number) {
    this.#path = path;
    this.#store = store;
    this.#savedAt = store.changes;
    if (intervalSeconds > 0) this.#timer = setInterval(() => void this.#saveInBackground(), intervalSeconds * 1000).unref();
  }

  /** Loads `path` into `store` (nothing if it does not exist yet). Throws SnapshotError for an unusable file. */
  static open(path: string, store: Store, intervalSeconds: number): Snapshots {
    const entries = loadSnapshot(path);
    store.load(entries);
    log.debug(`loaded ${entries.length} keys from ${path}`);
    return new Snapshots(path, store, intervalSeconds);
  }

  /** The last save, at exit: synchronous, so it completes before the process does. */
  close(): void {
    clearInterval(this.#timer);
    // An interval save cut short by the exit would leave its temporary file behind: aborting removes it now.
    this.#saving?.abort();
    try {
      saveSnapshotSync(this.#path, this.#store.toSnapshot());
      log.debug(`saved ${this.#path}`);
    } catch (error) {
      log.error(`could not save the KVS snapshot ${this.#path}: ${(error as Error).message}`);
    }
  }

  async #saveInBackground(): Promise<void> {
    const changes = this.#store.changes;
    if (this.#saving || changes === this.#savedAt) return;
    this.#saving = new AbortController();
    try {
      await saveSnapshot(this.#path, this.#store.toSnapshot(), this.#saving.signal);
      this.#savedAt = changes;
      log.debug(`saved ${this.#path}`);
    } catch (error) {
      if ((error as Error).name !== "AbortError") log.error(`could not save the KVS snapshot ${this.#path}: ${(error as Error).message}`);
    } finally {
      this.#saving = undefined;
    }
  }
}

import { readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KVS_ENDPOINT_FILE } from "../protocol.js";
import { safeWriteFileSync } from "../safe-write.js";

/**
 * Where a running store can be found from a shell: the store writes its endpoint to a file in the
 * run directory (`<tmp>/strmbrkr-<instance id>-XXXXXX`, mode 0700, so only its owner can read it),
 * and `strmbrkr kvs --instance ID` reads it back.
 */
export function publishEndpoint(runDir: string, endpoint: string): void {
  safeWriteFileSync(join(runDir, KVS_ENDPOINT_FILE), `${endpoint}\n`); // renamed into place: a reader never sees half a line
}

/** The endpoint a run with `instanceId` published; throws an Error with a one-line message if there is none. */
export function findEndpoint(instanceId: string, dir = tmpdir()): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(instanceId)) throw new Error(`--instance ${JSON.stringify(instanceId)}: an instance id is 1-64 letters, digits, '.', '_' or '-'`);
  const prefix = `strmbrkr-${instanceId}-`;
  const uid = process.getuid?.();
  const candidates = readdirSync(dir)
    // mkdtemp adds six characters: "strmbrkr-a-" must not find the run "a-b"
    .filter((name) => name.startsWith(prefix) && name.length === prefix.length + 6)
    .flatMap((name) => {
      try {
        const info = statSync(join(dir, name, KVS_ENDPOINT_FILE));
        if (uid !== undefined && info.uid !== uid) return [];
        return [{ path: join(dir, name, KVS_ENDPOINT_FILE), mtimeMs: info.mtimeMs }];
      } catch {
        return [];
      }
    })
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  if (candidates.length === 0) throw new Error(`no running strmbrkr run with instance id ${instanceId} (no ${join(dir, `${prefix}*`, KVS_ENDPOINT_FILE)})`);
  return readFileSync(candidates[0]!.path, "utf8").trim();
}

const POLL_MS = 10;

/**
 * In a worker: the endpoint the run's store publishes in the run directory, once it has. The host
 * starts the store only when the workers are up (booting it beside them slowed every start), so a
 * worker may look before it exists: then it asks (`ask`, once) and looks again every 10 ms — no
 * answer from the host is needed, so a `main` busy in a synchronous loop delays nothing.
 * `timeoutMs` 0 waits forever.
 */
export function awaitEndpoint(runDir: string, timeoutMs: number, ask: () => void): Promise<string> {
  const path = join(runDir, KVS_ENDPOINT_FILE);
  const read = () => {
    try {
      return readFileSync(path, "utf8").trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const found = read();
  if (found) return Promise.resolve(found);
  ask();
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const endpoint = read();
      if (endpoint) resolve(endpoint);
      else if (timeoutMs > 0 && Date.now() > deadline) reject(new Error(`the key-value store did not start within ${timeoutMs / 1000} s (no ${path})`));
      else return;
      clearInterval(timer);
    }, POLL_MS);
  });
}

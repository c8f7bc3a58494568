import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KVS_ENDPOINT_FILE } from "../wire/kvs.js";
import { safeWriteFileSync } from "../util/safe-write.js";
import { localAddress, localPathOf } from "./endpoints.js";

/** The store's socket for the processes of its run on this machine, named as the broker's are: `unix://<runDir>/kvs-local.sock`. */
export const localKvsAddress = (runDir: string): string => localAddress(runDir, "kvs");

/**
 * Where a process whose run directory is `runDir` reaches the store published at `endpoint`: its
 * local socket when that is there (the store binds it before it reports or publishes its endpoint,
 * unless it cannot), else `endpoint` (a remote worker's directory holds none).
 */
export function nearestKvsEndpoint(runDir: string | undefined, endpoint: string): string {
  if (runDir === undefined) return endpoint;
  const local = localKvsAddress(runDir);
  return existsSync(localPathOf(local)!) ? local : endpoint;
}

/**
 * Where a running store can be found from a shell: the store writes its endpoint to a file in the
 * run directory (`<tmp>/strmbrkr-<instance id>-XXXXXX`, mode 0700, so only its owner can read it),
 * and `strmbrkr kvs --instance ID` reads it back.
 */
export function publishEndpoint(runDir: string, endpoint: string): void {
  safeWriteFileSync(join(runDir, KVS_ENDPOINT_FILE), `${endpoint}\n`); // renamed into place: a reader never sees half a line
}

/** A running store found by its run's instance id. */
export interface FoundRun {
  runDir: string;
  endpoint: string;
}

/**
 * The run with `instanceId` and the endpoint its store published; throws an Error with a one-line
 * message if there is none, if it is another user's ("not your run"), or if several runs of this
 * user share the id (it names them: which one is meant is the user's to say).
 */
export function findRun(instanceId: string, dir = tmpdir()): FoundRun {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(instanceId))
    throw new Error(`--instance ${JSON.stringify(instanceId)}: an instance id is 1-64 letters, digits, '.', '_' or '-'`);
  const prefix = `strmbrkr-${instanceId}-`;
  const uid = process.getuid?.();
  const others: number[] = [];
  let storeless = 0;
  const runs = readdirSync(dir)
    // mkdtemp adds six characters: "strmbrkr-a-" must not find the run "a-b"
    .filter((name) => name.startsWith(prefix) && name.length === prefix.length + 6)
    .flatMap((name) => {
      const runDir = join(dir, name);
      try {
        const owner = lstatSync(runDir).uid;
        if (uid !== undefined && owner !== uid) {
          others.push(owner);
          return [];
        }
        return [{ runDir, endpoint: readFileSync(join(runDir, KVS_ENDPOINT_FILE), "utf8").trim() }];
      } catch {
        storeless++; // no store yet, or gone meanwhile
        return [];
      }
    })
    .filter(({ endpoint }) => endpoint !== "");
  if (runs.length === 1) return runs[0]!;
  if (runs.length > 1)
    throw new Error(
      `--instance ${instanceId} is ambiguous: ${runs.length} of your runs have it (${runs.map((run) => `${run.runDir} at ${run.endpoint}`).join("; ")}); use --connect with one of those endpoints`,
    );
  if (others.length > 0)
    throw new Error(`not your run: the run with instance id ${instanceId} belongs to uid ${others[0]} (a run answers its owner only)`);
  if (storeless > 0)
    throw new Error(
      `the run with instance id ${instanceId} has no key-value store running: a script that does not name KeyValueStore gets one only when something uses it`,
    );
  throw new Error(`no running strmbrkr run with instance id ${instanceId} (no ${join(dir, `${prefix}*`, KVS_ENDPOINT_FILE)})`);
}

/** The run of this user whose store published `endpoint`, if any: `strmbrkr kvs --connect` then uses its keys. */
export function findRunByEndpoint(endpoint: string, dir = tmpdir()): FoundRun | undefined {
  const uid = process.getuid?.();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith("strmbrkr-")) continue;
    const runDir = join(dir, name);
    try {
      if (uid !== undefined && lstatSync(runDir).uid !== uid) continue;
      if (readFileSync(join(runDir, KVS_ENDPOINT_FILE), "utf8").trim() === endpoint) return { runDir, endpoint };
    } catch {
      // not a run with a store
    }
  }
  return undefined;
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
      else if (timeoutMs > 0 && Date.now() > deadline)
        reject(new Error(`the key-value store did not start within ${timeoutMs / 1000} s (no ${path})`));
      else return;
      clearInterval(timer);
    }, POLL_MS);
  });
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { newKeyPair, type CurveClientKeys, type KeyPair } from "../util/curve.js";
import { safeWriteFileSync } from "../util/safe-write.js";
import type { RuntimeContext } from "../wire/context.js";

/**
 * A run's own CURVE keys, for its zeromq sockets on loopback TCP (`--protocol tcp`, the default):
 * loopback answers every local user, so those sockets admit only the holder of this run's client
 * key. The secret halves exist only in this file, mode 0600 in the run's 0700 directory, as
 * Jupyter keeps a kernel's signing key in a 0600 connection file: the owner's processes (and
 * `strmbrkr kvs --instance`) read it there; nobody else can.
 */
export interface RunKeys {
  server: KeyPair;
  client: KeyPair;
}

const RUN_KEYS_FILE = "run-keys.json";
/** The ZAP domain of a run's loopback sockets: its handler admits the run's client key there, nothing else. */
export const RUN_ZAP_DOMAIN = "strmbrkr-run";

/** Makes the run's keys and writes them into its directory, 0600. */
export function createRunKeys(runDir: string): RunKeys {
  const keys: RunKeys = { server: newKeyPair(), client: newKeyPair() };
  safeWriteFileSync(join(runDir, RUN_KEYS_FILE), JSON.stringify(keys));
  return keys;
}

/** The keys of the run whose directory is `runDir`; throws when it has none (or it is not ours to read). */
export function readRunKeys(runDir: string): RunKeys {
  return JSON.parse(readFileSync(join(runDir, RUN_KEYS_FILE), "utf8")) as RunKeys;
}

/** What a client of the run's loopback sockets needs. */
export const runClientKeys = (keys: RunKeys): CurveClientKeys => ({ serverKey: keys.server.publicKey, ...keys.client });

/**
 * The keys a child process of a run uses on TCP: a remote worker's own (from its supervisor), else
 * the run's, from its directory; none in a run directory without them (a remote worker's).
 */
export function clientKeysOf(context: Pick<RuntimeContext, "curve" | "runDir">): CurveClientKeys | undefined {
  if (context.curve) return context.curve;
  try {
    return runClientKeys(readRunKeys(context.runDir));
  } catch {
    return undefined;
  }
}

/** Socket options of a CURVE server socket (none for a socket that needs no keys). */
export interface ServerSecurity {
  curveServer?: boolean;
  curveSecretKey?: string;
  zapDomain?: string;
}

/** Socket options of a run's loopback server socket. */
export const runServerSecurity = (keys: RunKeys): ServerSecurity => ({
  curveServer: true,
  curveSecretKey: keys.server.secretKey,
  zapDomain: RUN_ZAP_DOMAIN,
});

import { readRuntimeContext } from "./children.js";
import type { CurveClientKeys } from "../util/curve.js";
import { readRunKeys, runClientKeys } from "./run-keys.js";

let keys: CurveClientKeys | null | undefined;

/** Sets the keys this process's TCP connections use: `strmbrkr kvs --key …`, or the host of a run (its run keys). */
export function useClientKeys(curve: CurveClientKeys): void {
  keys = curve;
}

/**
 * Socket options for this process's zeromq connection to `endpoint`: on TCP, CURVE client keys —
 * a remote worker's (from its RuntimeContext), those set by useClientKeys, else the run's own
 * (a local process of a run, for its loopback sockets); none for ipc, which the run directory's
 * mode protects.
 */
export function clientSecurity(endpoint: string): { curveServerKey?: string; curvePublicKey?: string; curveSecretKey?: string } {
  if (!endpoint.startsWith("tcp://")) return {};
  keys ??= readRuntimeContext()?.curve ?? ownRunKeys() ?? null;
  return keys ? { curveServerKey: keys.serverKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey } : {};
}

function ownRunKeys(): CurveClientKeys | undefined {
  const runDir = readRuntimeContext()?.runDir;
  try {
    return runDir === undefined ? undefined : runClientKeys(readRunKeys(runDir));
  } catch {
    return undefined; // a run without keys (ipc): its TCP peers, if any, need none
  }
}

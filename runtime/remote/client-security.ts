import { readRuntimeContext } from "../children.js";
import type { CurveClientKeys } from "../protocol.js";

let keys: CurveClientKeys | null | undefined;

/**
 * Socket options for this process's connections to the host: CURVE client keys in a remote worker
 * (from its RuntimeContext), nothing anywhere else (local sockets are loopback or private ipc).
 */
/** Sets the keys for a process that has no RuntimeContext of a remote worker (`strmbrkr kvs --key …`). */
export function useClientKeys(curve: CurveClientKeys): void {
  keys = curve;
}

export function clientSecurity(): { curveServerKey?: string; curvePublicKey?: string; curveSecretKey?: string } {
  keys ??= readRuntimeContext()?.curve ?? null;
  return keys ? { curveServerKey: keys.serverKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey } : {};
}

import type { CurveClientKeys } from "../util/curve.js";

/** The CURVE options of a zeromq client socket: none, or the server's public key and the client's pair. */
export interface ClientSecurity {
  curveServerKey?: string;
  curvePublicKey?: string;
  curveSecretKey?: string;
}

/**
 * Socket options for a zeromq connection to `endpoint` with `keys`: CURVE on TCP; nothing on ipc,
 * which the run directory's mode protects, nor without keys (--insecure, or a client that has none:
 * a CURVE server then refuses it).
 */
export function clientSecurity(endpoint: string, keys: CurveClientKeys | undefined): ClientSecurity {
  if (!keys || !endpoint.startsWith("tcp://")) return {};
  return { curveServerKey: keys.serverKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey };
}

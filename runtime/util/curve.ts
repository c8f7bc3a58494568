import { nodeCrypto } from "./node-crypto.js";

/** A CURVE key pair, both halves in Z85 (40 characters each), as zeromq takes them. */
export interface KeyPair {
  publicKey: string;
  secretKey: string;
}

/** What a CURVE client needs: the server's public key and its own pair. */
export interface CurveClientKeys extends KeyPair {
  serverKey: string;
}

const Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** Whether `text` is a Z85 CURVE key (40 characters of the Z85 alphabet). */
export const isKey = (text: string) => Z85_KEY.test(text);

/** Z85-encodes 32 bytes of key, as ZAP hands over a CURVE client's public key. */
export function z85(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
    let chunk = "";
    for (let j = 0; j < 5; j++) {
      chunk = Z85[value % 85]! + chunk;
      value = Math.floor(value / 85);
    }
    text += chunk;
  }
  return text;
}

/**
 * A fresh CURVE key pair. CURVE keys are X25519 keys (libzmq's `zmq_curve_keypair` is libsodium's
 * `crypto_box_keypair`), so Node's crypto makes them without loading zeromq: the host, which never
 * loads zeromq, makes its run's keys this way. Encoded (DER) by the call that makes them, not
 * exported from KeyObjects as JWK: on Node 20 a garbage collection during a JWK export, which holds
 * the key's lock, can free the job that made the key, which takes the same lock — the process
 * hangs for good (a run's host, at start, a few times in a few hundred runs beside other tests;
 * with a 1 MiB young generation, 5,000 pairs in a loop that way hung in 3 runs of 3, and 10,000
 * this way finish in ~1.3 s; Node 22 and 24 do not hang). The raw keys are the last 32 bytes of
 * each encoding (RFC 8410).
 */
export function newKeyPair(): KeyPair {
  const { publicKey, privateKey } = nodeCrypto().generateKeyPairSync("x25519", {
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "der" },
  });
  return { publicKey: z85(publicKey.subarray(-32)), secretKey: z85(privateKey.subarray(-32)) };
}

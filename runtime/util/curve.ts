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
 * loads zeromq, makes its run's keys this way.
 */
export function newKeyPair(): KeyPair {
  const { publicKey, privateKey } = nodeCrypto().generateKeyPairSync("x25519");
  const raw = (jwk: { x?: string; d?: string }, part: "x" | "d") => Buffer.from(jwk[part]!, "base64url");
  return { publicKey: z85(raw(publicKey.export({ format: "jwk" }), "x")), secretKey: z85(raw(privateKey.export({ format: "jwk" }), "d")) };
}

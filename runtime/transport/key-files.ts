import { readFileSync, writeFileSync } from "node:fs";
import { ConfigError } from "../util/errors.js";
import { isKey, newKeyPair, type KeyPair } from "../util/curve.js";

export type { KeyPair };

/**
 * Writes `<base>.key` (both halves, mode 0600: keep it secret) and `<base>.pub` (the public half,
 * one line, to hand to the other side); returns the pair.
 */
export function writeKeyPair(base: string, comment: string): KeyPair {
  const pair = newKeyPair();
  writeFileSync(
    `${base}.key`,
    `# strmbrkr CURVE key pair (${comment}): keep this file secret\npublic-key ${pair.publicKey}\nsecret-key ${pair.secretKey}\n`,
    { mode: 0o600, flag: "wx" },
  );
  writeFileSync(`${base}.pub`, `${pair.publicKey} ${comment}\n`, { mode: 0o644, flag: "wx" });
  return pair;
}

/** Reads a `.key` file written by `strmbrkr keygen`; ConfigError naming the flag and the file otherwise. */
export function readKeyPair(path: string, flag: string): KeyPair {
  const text = readText(path, flag);
  const field = (name: string) => new RegExp(`^${name}\\s+(\\S+)\\s*$`, "m").exec(text)?.[1];
  const publicKey = field("public-key");
  const secretKey = field("secret-key");
  if (!publicKey || !secretKey || !isKey(publicKey) || !isKey(secretKey)) {
    throw new ConfigError(`${flag} ${path}: not a key pair file (make one with \`strmbrkr keygen\`)`);
  }
  return { publicKey, secretKey };
}

/**
 * The public keys of an allow-list file: one key per line (a `.pub` file's line: the key, then an
 * optional comment); blank lines and lines starting with "# " are skipped. Anything else is a
 * ConfigError naming the line, so a typo never silently admits or locks out a worker.
 */
export function readAuthorizedKeys(path: string, flag: string): string[] {
  const keys: string[] = [];
  readText(path, flag)
    .split(/\r?\n/)
    .forEach((line, index) => {
      const trimmed = line.trim();
      if (trimmed === "" || trimmed === "#" || trimmed.startsWith("# ")) return;
      const key = trimmed.split(/\s+/)[0]!;
      if (!isKey(key))
        throw new ConfigError(
          `${flag} ${path}:${index + 1}: expected a public key (40 Z85 characters), got ${JSON.stringify(key.slice(0, 48))}`,
        );
      keys.push(key);
    });
  if (keys.length === 0) throw new ConfigError(`${flag} ${path}: lists no public key, so no worker could connect`);
  return keys;
}

/** A public key given as itself or as a file holding it first (a `.pub` file). */
export function readPublicKey(keyOrPath: string, flag: string): string {
  if (isKey(keyOrPath)) return keyOrPath;
  const key = readText(keyOrPath, flag).trim().split(/\s+/)[0] ?? "";
  if (!isKey(key)) throw new ConfigError(`${flag} ${keyOrPath}: neither a public key (40 Z85 characters) nor a file starting with one`);
  return key;
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${flag} ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

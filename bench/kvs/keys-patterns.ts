/**
 * `keys` on a store of 1,000,000 keys with patterns that made the old RegExp backtrack, and a
 * plain one; the store's own code, in process. Run:
 *   npx esbuild bench/kvs/keys-patterns.ts --bundle --platform=node --format=esm --outfile=/tmp/keys-patterns.mjs && node /tmp/keys-patterns.mjs
 */
import { MAX_PATTERN_LENGTH } from "../../runtime/kvs/glob.js";
import { OPERATIONS } from "../../runtime/kvs/ops.js";
import { Store } from "../../runtime/kvs/store.js";

const KEYS = 1_000_000;
const store = new Store();
for (let i = 0; i < KEYS; i++) store.write(`job:${i % 7 === 0 ? "a".repeat(i % 50) : ""}${i}`, i);
const keys = (pattern: string) => OPERATIONS.keys!(store, [pattern]) as string[];

const patterns: Record<string, string> = {
  "1,000 '*a' then '#' (2,001 chars, over the limit: refused)": `${"*a".repeat(1_000)}#`,
  "511 '*a' then '#' (1,023 chars)": `${"*a".repeat(511)}#`,
  "1,023 stars then '#'": `${"*".repeat(MAX_PATTERN_LENGTH - 1)}#`,
  "'*a*a*a*a*a*a*a*a*a*a*#'": `${"*a".repeat(10)}*#`,
  "'*' + 'a' x 40 + 'b' (long literal run after a star)": `*${"a".repeat(40)}b`,
  "'job:1*'": "job:1*",
};
for (const [name, pattern] of Object.entries(patterns)) {
  const start = performance.now();
  let result: string;
  try {
    result = `${keys(pattern).length} keys`;
  } catch (error) {
    result = `${(error as Error).name}: ${(error as Error).message}`;
  }
  console.log(`${name}: ${(performance.now() - start).toFixed(0)} ms, ${result}`);
}

// The old translation, for scale: one key, 30 characters, `*a` repeated n times then `#`.
const key = "a".repeat(30);
for (const n of [10, 12, 14]) {
  const start = performance.now();
  new RegExp(`^${"[\\s\\S]*a".repeat(n)}#$`).test(key);
  console.log(`old RegExp, ${n} '*a' then '#', one 30-character key: ${(performance.now() - start).toFixed(0)} ms`);
}

/**
 * The `keys` glob matcher (runtime/kvs/glob.ts) against the RegExp translation it replaced: the
 * same answer for every pattern and key here (classes, ranges, negation, escapes, an unclosed `[`,
 * a trailing `\`, random ones), the same SyntaxError for a range out of order; and patterns that
 * made the RegExp backtrack without end now answer.
 */
import t from "tap";
import { compileGlob, MAX_PATTERN_LENGTH } from "../runtime/kvs/glob.js";
import { OPERATIONS } from "../runtime/kvs/ops.js";
import { Store } from "../runtime/kvs/store.js";

/** The translation `keys` used before (commit d06b477), kept here as the reference. */
function oldGlobToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else if (char === "\\" && i + 1 < pattern.length) source += escape(pattern[++i]!);
    else if (char === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) {
        source += escape(char);
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negated = body[0] === "^" || body[0] === "!";
      if (negated) body = body.slice(1);
      source += `[${negated ? "^" : ""}${body.replace(/[\\\]^]/g, (c) => `\\${c}`)}]`;
      i = end;
    } else source += escape(char);
  }
  return new RegExp(`^${source}$`);
}
const escape = (char: string) => char.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

const PATTERNS = [
  "",
  "*",
  "**",
  "?",
  "a",
  "a*",
  "*a",
  "*a*",
  "a*b",
  "a**b",
  "a?b",
  "??",
  "user:*",
  "user:?",
  "[iu]*:1",
  "[!u]*:1",
  "[^u]*:1",
  "[a-c]",
  "[a-c]*",
  "[^a-c]",
  "[!a-c]x",
  "[-a]",
  "[a-]",
  "[--a]",
  "[a-b-c]",
  "[]]",
  "[]a]",
  "[^]",
  "[!]",
  "[^^]",
  "[\\]",
  "[\\]]",
  "[*]",
  "[?]",
  "[.]",
  "a[",
  "[",
  "[a",
  "a[b",
  "[]",
  "\\",
  "a\\",
  "\\*",
  "a\\*b",
  "\\?",
  "\\[a]",
  "\\\\",
  "x\\yz",
  ".*",
  "a.c",
  "(a)",
  "a+",
  "a|b",
  "^a",
  "a$",
  "{a}",
  "/",
  "é*",
  "[é-ÿ]",
  "\n",
  "*\n*",
  "[\ud800-\udbff]?",
  "\ud83d*",
  "*[0-9][0-9]",
];
const KEYS = [
  "",
  "a",
  "b",
  "aa",
  "ab",
  "abc",
  "a*b",
  "aab",
  "axb",
  "a\nb",
  "\n",
  "user:1",
  "user:10",
  "item:1",
  "x:1",
  "]",
  "]a",
  "^",
  "!",
  "-",
  "\\",
  "a\\",
  "[",
  "a[",
  "a[b",
  "[a",
  "*",
  "?",
  ".",
  "a.c",
  "abc.",
  "(a)",
  "a+",
  "a|b",
  "^a",
  "a$",
  "{a}",
  "/",
  "é",
  "éa",
  "ÿ",
  "x\\yz",
  "xyz",
  "😀",
  "😀x",
  "12",
  "a12",
  "b",
  "c",
  "d",
  "bc",
];

const random = (alphabet: string, length: number) =>
  Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");

t.test("same answers as the RegExp translation", async (t) => {
  let compared = 0;
  const mismatches: string[] = [];
  const check = (pattern: string, keys: string[]) => {
    const reference = oldGlobToRegExp(pattern);
    const glob = compileGlob(pattern);
    for (const key of keys) {
      compared++;
      if (glob.matches(key) !== reference.test(key)) mismatches.push(`${JSON.stringify(pattern)} on ${JSON.stringify(key)}`);
    }
  };
  for (const pattern of PATTERNS) check(pattern, KEYS);
  // Random patterns over the syntax's characters, on random keys over the same and a few others.
  for (let i = 0; i < 3_000; i++) {
    const pattern = random("ab*?[]^!-\\c", 1 + Math.floor(Math.random() * 8));
    let valid = true;
    try {
      oldGlobToRegExp(pattern);
    } catch {
      valid = false; // a range out of order: checked below
    }
    if (valid) check(pattern, [...KEYS, ...Array.from({ length: 20 }, () => random("ab-]^\\c[*", Math.floor(Math.random() * 7)))]);
  }
  t.same(mismatches, [], `${compared} comparisons, no mismatch`);
});

t.test("a range out of order is a SyntaxError, as before", async (t) => {
  t.throws(() => oldGlobToRegExp("[z-a]"), SyntaxError, "the RegExp refused it");
  t.throws(() => compileGlob("[z-a]"), { name: "SyntaxError", message: /range out of order in \[z-a\]/ }, "so does the matcher");
  t.throws(() => compileGlob("[!c-b]"), SyntaxError, "negated too");
});

t.test("patterns that made the RegExp backtrack answer", async (t) => {
  const keys = ["a".repeat(40), "ab".repeat(30), `${"a".repeat(60)}#`];
  t.same(
    keys.filter((key) => compileGlob(`${"*a".repeat(1_000)}#`).matches(key)),
    [],
    "1,000 '*a' then '#': no key has 1,001 characters",
  );
  t.same(
    keys.filter((key) => compileGlob(`${"*a".repeat(20)}#`).matches(key)),
    [`${"a".repeat(60)}#`],
    "20 '*a' then '#'",
  );
  t.same(
    keys.filter((key) => compileGlob(`${"*".repeat(MAX_PATTERN_LENGTH - 1)}#`).matches(key)),
    [`${"a".repeat(60)}#`],
    "the longest pattern: stars, then '#'",
  );
  t.same(
    keys.filter((key) => compileGlob(`*${"a*".repeat(30)}b`).matches(key)),
    ["ab".repeat(30)],
    "30 'a*' between stars, then 'b'",
  );
});

t.test("keys refuses a pattern over MAX_PATTERN_LENGTH with a one-line TypeError", async (t) => {
  const store = new Store();
  store.write("#", 1);
  const keys = (pattern: string) => OPERATIONS.keys!(store, [pattern]);
  t.same(keys(`${"*".repeat(MAX_PATTERN_LENGTH - 1)}#`), ["#"], `${MAX_PATTERN_LENGTH} characters are accepted`);
  t.throws(
    () => keys(`${"*".repeat(MAX_PATTERN_LENGTH)}#`),
    new TypeError(`keys pattern is ${MAX_PATTERN_LENGTH + 1} characters, over MAX_PATTERN_LENGTH (${MAX_PATTERN_LENGTH})`),
    "one more is refused, the limit named",
  );
});

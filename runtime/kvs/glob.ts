/**
 * Redis's KEYS glob: `*` any run, `?` one character, `[abc]`, `[a-z]`, `[^a]` or `[!a]` a class,
 * `\` escapes the next character. Everything else matches itself. Characters are UTF-16 code units.
 *
 * Matched without RegExp: a RegExp backtracks, so a pattern of many stars took exponential time
 * (a client held the store for minutes with one request). Here a key costs at most pattern
 * length × key length steps: on a mismatch only the last star is tried one character further.
 */

/** The longest pattern `keys` accepts, in characters: it bounds each key's matching cost. */
export const MAX_PATTERN_LENGTH = 1_024;

const ANY = -1;
const STAR = -2;
/** A character code, ANY, STAR, or a class. */
type Token = number | CharClass;

/** `[...]`: ranges as [low, high] code pairs (a single character is a range of one). */
interface CharClass {
  negated: boolean;
  ranges: number[];
}

export interface Glob {
  matches(key: string): boolean;
}

/** Compiles `pattern` once, to test many keys. Throws SyntaxError for a range out of order (`[z-a]`), as RegExp did. */
export function compileGlob(pattern: string): Glob {
  const tokens = tokenize(pattern);
  if (tokens.length === 1 && tokens[0] === STAR) return { matches: () => true };
  // Each token but a star takes exactly one character: shorter keys cannot match.
  const minLength = tokens.filter((token) => token !== STAR).length;
  const exactLength = !tokens.includes(STAR);
  return {
    matches: (key) => (exactLength ? key.length === minLength : key.length >= minLength) && match(tokens, key),
  };
}

function match(tokens: Token[], key: string): boolean {
  let p = 0;
  let k = 0;
  let afterStar = -1; // the token after the last star, and where that star's run ends
  let starEnd = 0;
  while (k < key.length) {
    const token = tokens[p];
    if (token === STAR) {
      afterStar = ++p;
      starEnd = k;
    } else if (token !== undefined && matchesOne(token, key.charCodeAt(k))) {
      p++;
      k++;
    } else if (afterStar < 0) {
      return false;
    } else {
      // The last star takes one more character; the tokens after it start over.
      p = afterStar;
      k = ++starEnd;
    }
  }
  while (tokens[p] === STAR) p++;
  return p === tokens.length;
}

function matchesOne(token: Token, code: number): boolean {
  if (typeof token === "number") return token === ANY || token === code;
  const { ranges } = token;
  let inside = false;
  for (let i = 0; i < ranges.length && !inside; i += 2) inside = ranges[i]! <= code && code <= ranges[i + 1]!;
  return inside !== token.negated;
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "*") {
      if (tokens.at(-1) !== STAR) tokens.push(STAR); // a run of stars is one star
    } else if (char === "?") tokens.push(ANY);
    else if (char === "\\" && i + 1 < pattern.length) tokens.push(pattern.charCodeAt(++i));
    else if (char === "[") {
      // The character after `[` (or `[^`) never closes it; no `]` at all: `[` is literal.
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) tokens.push(char.charCodeAt(0));
      else {
        tokens.push(charClass(pattern.slice(i + 1, end)));
        i = end;
      }
    } else tokens.push(pattern.charCodeAt(i));
  }
  return tokens;
}

/** A class body as RegExp read it: every character literal, `a-b` a range unless `-` is first or last. */
function charClass(body: string): CharClass {
  const negated = body[0] === "^" || body[0] === "!";
  const chars = negated ? body.slice(1) : body;
  const ranges: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    const low = chars.charCodeAt(i);
    if (chars[i + 1] === "-" && i + 2 < chars.length) {
      const high = chars.charCodeAt(i + 2);
      if (high < low) throw new SyntaxError(`keys pattern: range out of order in [${body}]`);
      ranges.push(low, high);
      i += 2;
    } else ranges.push(low, low);
  }
  // `[^]` and `[!]`: an empty negated class, any one character.
  return { negated, ranges };
}

/**
 * Redis's KEYS glob as a RegExp: `*` any run, `?` one character, `[abc]`, `[a-z]`, `[^a]` or `[!a]`
 * a class, `\` escapes the next character. Everything else matches itself.
 */
export function globToRegExp(pattern: string): RegExp {
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

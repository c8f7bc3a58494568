// yargs' `.strict()` says "Unknown arguments: worker, progres": the names as it parsed them, without
// dashes or the `--no-` the user typed, and with no hint. This rewrites that into one line that
// shows each flag as typed and the closest one the command knows.

import { editDistance } from "../runtime/util/edit-distance.js";
import { kebab } from "./flag-names.js";

const UNKNOWN = /^Unknown arguments?: (.+)$/;

/**
 * The one-line message for a yargs failure: for unknown flags `unknown option --worker; did you
 * mean --workers?`, any other message as it was. `known` is what the command takes (option and
 * command names), `argv` the arguments as typed.
 */
export function unknownOptionMessage(message: string, known: string[], argv: string[]): string {
  const match = UNKNOWN.exec(message);
  if (!match) return message;
  // yargs names `--no-foo-bar=1` also as `noFooBar`: one report per flag typed.
  const names = [...new Set(match[1]!.split(", ").map(kebab))];
  const typedSeen = new Set<string>();
  let strayReported = false;
  const parts = names.flatMap((name) => {
    const typed = argv.find((arg) => flagName(arg) === name || flagName(arg) === `no-${name}`);
    if (typed === undefined) {
      // The first stray word says it: after `strmbrkr mapp x.ts` the x.ts is only its consequence.
      if (strayReported) return [];
      strayReported = true;
      const command = closest(
        name,
        known.filter((word) => !word.startsWith("-")),
      );
      return [`unknown argument ${JSON.stringify(name)}${command ? `; did you mean ${command}?` : ""}`];
    }
    if (typedSeen.has(typed)) return [];
    typedSeen.add(typed);
    const shown = typed.replace(/=.*$/, "");
    const negated = flagName(typed)!.startsWith("no-") && flagName(typed) !== name;
    const flag = closest(
      name,
      known.filter((word) => word.startsWith("--")).map((word) => word.slice(2)),
    );
    return [`unknown option ${shown}${flag ? `; did you mean --${negated ? "no-" : ""}${flag}?` : ""}`];
  });
  return parts.join("; ");
}

/** `worker` for `--worker` or `--worker=2`, `x` for `-x`; undefined for a non-flag. */
function flagName(arg: string): string | undefined {
  const match = /^--?([^=]+)/.exec(arg);
  return match ? kebab(match[1]!) : undefined;
}

/** The known word nearest `word`, if it is near enough to be what was meant. */
function closest(word: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

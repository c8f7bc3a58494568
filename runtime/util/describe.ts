import { inspect } from "node:util";

/** How much of a value a message shows. */
const DESCRIBE_CHARS = 200;

/**
 * A value as a message shows it (a thrown non-Error, an option's bad value): JSON for strings and
 * plain data (`"five"`, `{"code":42}`), else as util.inspect prints it (`NaN`, `Map(1) { 'a' => 1 }`),
 * cut at 200 characters.
 */
export function describe(value: unknown): string {
  let text: string | undefined;
  try {
    const proto = typeof value === "object" && value !== null ? Object.getPrototypeOf(value) : undefined;
    // JSON would make a Map `{}`, drop a class's name and make NaN `null`; inspect shows them.
    if (typeof value === "string" || proto === Object.prototype || proto === Array.prototype || proto === null)
      text = JSON.stringify(value);
  } catch {
    // a cycle or a BigInt: inspect copes
  }
  text ??= inspect(value, { depth: 3, breakLength: Infinity });
  return text.length > DESCRIBE_CHARS ? `${text.slice(0, DESCRIBE_CHARS - 1)}…` : text;
}

/** What a value is, as a TypeError names what it got instead: `function nap`, `null`, its class (`Object`, `Map`) or its type (`string`). */
export function kindOf(value: unknown): string {
  if (typeof value === "function") return `function ${value.name || "<anonymous>"}`;
  if (value === null) return "null";
  return typeof value === "object" ? (value.constructor?.name ?? "object") : typeof value;
}

// How a value a job returned (or the store holds) is written as JSON, wherever strmbrkr writes one:
// `strmbrkr map` output lines and `strmbrkr kvs get|set|dump`. Values cross processes by structured
// clone, so they may be Maps, Sets, BigInts, Dates, typed arrays, which JSON.stringify writes as
// `{}` or refuses; here each has one documented spelling (README, "Values as JSON"), and what has
// none (a function, a symbol, a cycle) is an error that says where it is, never a silent `{}`.

/** A value that has no JSON spelling; `message` names the kind and where it sits (`.a[2]`). */
export class JsonValueError extends TypeError {
  override readonly name = "TypeError";
  readonly code = "ERR_STRMBRKR_JSON_VALUE";
}

/**
 * `value` as JSON text (`indent` as in JSON.stringify). Map → object when every key is a string,
 * else an array of [key, value] pairs; Set → array; BigInt → decimal string; Date → ISO string;
 * typed array → array of numbers; ArrayBuffer, DataView → array of bytes; RegExp → its source
 * (`/a+/g`); Error → { name, message }; undefined → null (an object property holding it is left
 * out, as in JSON.stringify); NaN and ±Infinity → null. Throws JsonValueError for a function, a
 * symbol or a cycle. A value reached twice without a cycle is written twice.
 */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(toJsonValue(value, "", []), null, indent) ?? "null";
}

function toJsonValue(value: unknown, path: string, ancestors: object[]): unknown {
  const where = path === "" ? "" : ` at ${path}`;
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "function":
      throw new JsonValueError(`a function cannot be written as JSON${where}`);
    case "symbol":
      throw new JsonValueError(`a symbol cannot be written as JSON${where}`);
    case "undefined":
      return null;
    case "object":
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (ancestors.includes(value))
    throw new JsonValueError(`a cycle cannot be written as JSON${where} (it refers back to an object that contains it)`);
  ancestors.push(value);
  try {
    return objectToJsonValue(value, path, ancestors);
  } finally {
    ancestors.pop();
  }
}

function objectToJsonValue(value: object, path: string, ancestors: object[]): unknown {
  const inner = (item: unknown, step: string) => toJsonValue(item, `${path}${step}`, ancestors);
  const items = (list: Iterable<unknown>) => Array.from(list, (item, i) => inner(item, `[${i}]`));
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Map) {
    const keys = [...value.keys()];
    if (keys.every((key) => typeof key === "string"))
      return Object.fromEntries([...value].map(([key, item]) => [key, inner(item, `.${key}`)]));
    return [...value].map(([key, item], i) => [inner(key, `[${i}][0]`), inner(item, `[${i}][1]`)]);
  }
  if (value instanceof Set) return items(value);
  if (Array.isArray(value)) return items(value);
  if (value instanceof ArrayBuffer || value instanceof DataView)
    return Array.from(
      new Uint8Array(value instanceof DataView ? value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) : value),
    );
  if (ArrayBuffer.isView(value)) return items(value as unknown as Iterable<unknown>); // BigInt64Array items become strings
  if (value instanceof RegExp) return String(value);
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof (value as { toJSON?: unknown }).toJSON === "function")
    return inner((value as { toJSON(key: string): unknown }).toJSON(""), "");
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue; // as JSON.stringify: the property is left out
    out[key] = inner(item, `.${key}`);
  }
  return out;
}

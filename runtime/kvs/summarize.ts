import { describe, kindOf } from "../util/describe.js";

/** A stored value as the dashboard lists it: its type, its size, and the start of it. */
export function summarize(value: unknown): { type: string; size: number; preview: string } {
  return { type: typeOf(value), size: sizeOf(value), preview: describe(value) };
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "list";
  if (value instanceof Uint8Array) return "binary";
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) return "hash";
  return kindOf(value).replace(/^function .*/, "function");
}

/** Items of a list, characters of a string, bytes of binary, entries of a hash, map or set; 1 for anything else. */
function sizeOf(value: unknown): number {
  if (typeof value === "string" || Array.isArray(value)) return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Map || value instanceof Set) return value.size;
  if (typeof value === "object" && value !== null) return Object.keys(value).length;
  return 1;
}

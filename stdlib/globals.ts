/**
 * Types of the globals a job script may use without importing "strmbrkr":
 * `/// <reference types="strmbrkr/globals" />`
 */
import type { KeyValueStore as Store } from "./key-value-store.js";

declare global {
  var KeyValueStore: typeof Store;
}
export {};

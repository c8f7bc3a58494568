import { getInstance } from "../host/instance.js";
import type { Job } from "./job.js";

/**
 * The export name a job travels by. Throws TypeError when the function (or name) is not an
 * export of the job script, naming both.
 */
export function exportNameOf(job: Job): string {
  const instance = getInstance();
  const exports = instance.scriptExports;
  const script = instance.scriptName ?? "the job script";
  if (typeof job.fn === "string") {
    // Object.hasOwn, not a list of the keys: this runs for every job queued (twice: checked, then sent).
    const known = exports ? Object.hasOwn(exports, job.fn) : (instance.exportNames?.includes(job.fn) ?? true);
    if (!known) throw new TypeError(`Job ${job.id}: ${job.fn} is not an export of ${script}`);
    return job.fn;
  }
  if (exports) {
    const name = namesOf(exports).get(job.fn);
    if (name !== undefined) return name;
  } else if (instance.exportNames?.includes(job.fn.name)) {
    return job.fn.name; // library mode: the caller imported the script itself, so match by name
  }
  throw new TypeError(`Job ${job.id}: function ${job.name} is not an export of ${script}; jobs run exported functions only`);
}

/** Export name by function, built once per exports object: queueing a million jobs looks it up a million times. */
const names = new WeakMap<object, Map<unknown, string>>();
function namesOf(exports: Record<string, unknown>): Map<unknown, string> {
  let byValue = names.get(exports);
  if (!byValue) {
    byValue = new Map();
    for (const [name, value] of Object.entries(exports)) if (typeof value === "function" && !byValue.has(value)) byValue.set(value, name);
    names.set(exports, byValue);
  }
  return byValue;
}

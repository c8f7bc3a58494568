import { getInstance } from "../runtime/instance.js";
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
    const names = exports ? Object.keys(exports) : instance.exportNames;
    if (names && !names.includes(job.fn)) throw new TypeError(`Job ${job.id}: ${job.fn} is not an export of ${script}`);
    return job.fn;
  }
  if (exports) {
    for (const [name, value] of Object.entries(exports)) if (value === job.fn) return name;
  } else if (instance.exportNames?.includes(job.fn.name)) {
    return job.fn.name; // library mode: the caller imported the script itself, so match by name
  }
  throw new TypeError(`Job ${job.id}: function ${job.name} is not an export of ${script}; jobs run exported functions only`);
}

import type { Stats } from "node:fs";
import { extname } from "node:path";

/** The files a job script may be: what esbuild bundles as JavaScript or TypeScript. */
export const SCRIPT_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx"]);

/**
 * What makes `script` no job script, in one line, given its `stat` (undefined: no such file); undefined
 * when it can be one. The bundler's check (bundle.ts) and the early start's (cli/run-check.ts) in one place.
 */
export function scriptProblem(script: string, info: Stats | undefined): string | undefined {
  if (!info) return `${script}: no such file`;
  if (info.isDirectory()) return `${script}: is a directory, not a job script`;
  if (!SCRIPT_EXTENSIONS.has(extname(script)))
    return `${script}: not a JavaScript or TypeScript file (expected one of ${[...SCRIPT_EXTENSIONS].join(" ")})`;
  return undefined;
}

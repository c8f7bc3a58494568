import { lstat, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { PipelineReport } from "./job.js";
import { getLogger } from "../config/logger.js";
import { safeWriteFile } from "../util/safe-write.js";

const log = getLogger("pipeline");
const DIR = ".strmbrkr_pipelines";
let ready: Promise<unknown> | undefined;
const writing = new Set<Promise<void>>();

/**
 * Writes `.strmbrkr_pipelines/<id>.json` in the background; `flushReports` waits for them. Private
 * (folder 0700, files 0600) like every file a run writes: a report names the job's function and
 * when it ran, which is the owner's business; anyone meant to read them can be given them.
 */
export function writeReport(id: string, report: PipelineReport & { id: string; fn: string; status: string }): void {
  ready ??= ownFolder(DIR);
  const write = ready
    .then(() => safeWriteFile(join(DIR, `${id}.json`), JSON.stringify(report, null, 2)))
    .catch((error: Error) => log.error(`cannot write the pipeline report of job ${id}: ${error.message}`))
    .finally(() => writing.delete(write));
  writing.add(write);
}

export async function flushReports(): Promise<void> {
  await Promise.all(writing);
}

/**
 * Makes `dir` or checks the one there: in a working directory others can write to, a folder or
 * symlink planted at that name would take the reports wherever its owner chose.
 */
async function ownFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid)) {
    throw new Error(
      `${resolve(dir)} is not a folder of yours (${info.isDirectory() ? `owned by uid ${info.uid}` : "a symlink or a file"})`,
    );
  }
}

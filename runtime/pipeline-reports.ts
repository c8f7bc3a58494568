import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PipelineReport } from "../stdlib/job.js";
import { getLogger } from "./logger.js";

const log = getLogger("pipeline");
const DIR = ".strmbrkr_pipelines";
let ready: Promise<unknown> | undefined;
const writing = new Set<Promise<void>>();

/** Writes `.strmbrkr_pipelines/<id>.json` in the background; `flushReports` waits for them. */
export function writeReport(id: string, report: PipelineReport & { id: string; fn: string; status: string }): void {
  ready ??= mkdir(DIR, { recursive: true });
  const write = ready
    .then(() => writeFile(join(DIR, `${id}.json`), JSON.stringify(report, null, 2)))
    .catch((error: Error) => log.error(`cannot write the pipeline report of job ${id}: ${error.message}`))
    .finally(() => writing.delete(write));
  writing.add(write);
}

export async function flushReports(): Promise<void> {
  await Promise.all(writing);
}

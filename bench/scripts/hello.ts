// Start-up: the smallest job script; the driver times `strmbrkr run` of it, command to exit.
import type { MainContext } from "strmbrkr";

export default async function main({ workers }: MainContext): Promise<void> {
  console.log(`hello from a run with ${workers.workerCount} workers`);
}

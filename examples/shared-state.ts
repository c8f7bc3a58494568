/**
 * Jobs sharing state through the key-value store: each job reports progress into a list, keeps
 * its best score in an LRU cache, and reads a parameter main published before queueing. Jobs use
 * the global `KeyValueStore`, no import needed (importing anything from "strmbrkr" types it).
 *
 *   npx strmbrkr run examples/shared-state.ts
 */
import { Job, type MainContext } from "strmbrkr";

/** Scores `candidate` against the target main published, and records the score. */
export async function score(candidate: number): Promise<number> {
  const target = (await KeyValueStore.getValue<number>("target"))!;
  const value = -Math.abs(target - candidate);
  await KeyValueStore.appendValue("scored", candidate);
  await KeyValueStore.cachePut("scores", String(candidate), value);
  return value;
}

export default async function main({ queue }: MainContext): Promise<void> {
  await KeyValueStore.setValue("target", 42);
  // Room for every candidate: a smaller LRU cache would evict whichever scores were put first, and
  // the workers finish in no fixed order, so the best one's entry might be gone when main reads it.
  await KeyValueStore.initCache("scores", { maxSize: 32 });

  queue.queueJobs(...Array.from({ length: 20 }, (_, i) => new Job(score, [i * 5])));
  await queue.blockUntilProcessed({ timeout: 30 });

  const best = queue.getResults().sort((a, b) => (b.retval as number) - (a.retval as number))[0]!;
  const scored = (await KeyValueStore.getValue<number[]>("scored"))!;
  console.log(`${scored.length} candidates scored by the workers`);
  console.log(
    `best candidate: ${best.args[0]} (score ${best.retval}), cached: ${await KeyValueStore.cacheGrab("scores", String(best.args[0]))}`,
  );
}

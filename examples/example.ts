/**
 * The original strmbrkr's example.py, in TypeScript: ten jobs sleep a random 3-9 s each, record
 * what they did in the key-value store, and main reports the results.
 *
 *   npx strmbrkr run examples/example.ts            # ~18 s on 4 workers
 *   npx strmbrkr run examples/example.ts -- 0.01    # the same, with 1 "second" = 10 ms
 */
import { Job, KeyValueStore, type MainContext } from "strmbrkr";

/** Example work: sleep, optionally throw, record in the KVS, return how long it slept. */
export async function sleepAndReturn(howLong: number, throwMessage?: string, secondMs = 1000): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, howLong * secondMs));
  if (throwMessage) throw new Error(throwMessage);

  const sleepList = await KeyValueStore.appendValue("sleep_list", howLong);
  // The original's read-modify-write; KeyValueStore.transact (see docs) makes this atomic.
  await KeyValueStore.setValue(
    "sleep_sum",
    sleepList.reduce((sum, value) => sum + value, 0),
  );
  return howLong;
}

const randInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));

export default async function main({ queue, argv }: MainContext): Promise<void> {
  const secondMs = 1000 * Number(argv[0] ?? 1);
  const start = performance.now();

  queue.queueJobs(...Array.from({ length: 10 }, () => new Job(sleepAndReturn, [randInt(3, 10), undefined, secondMs])));
  await queue.blockUntilProcessed({ timeout: 60 });

  console.log(`Completed processing in ${(performance.now() - start) / 1000} seconds`);
  for (const result of queue.getResults()) {
    console.log(`Job ${result.id} returned ${result.status}: ${result.retval}`);
  }
  console.log(`Total time processed: ${await KeyValueStore.getValue("sleep_sum")}`);
}

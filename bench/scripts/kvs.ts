// KVS: sequential setValue/getValue round trips from main, then the same with 100 requests in flight.
//   strmbrkr run bench/scripts/kvs.ts --workers 1 --no-progress -- 20000 50000
import { KeyValueStore, type MainContext } from "strmbrkr";

const WARMUP = 1000;
const IN_FLIGHT = 100;

/** Request i: a set on even i, a get on odd i, over 100 keys. */
function request(i: number): Promise<unknown> {
  const key = `key${i % 100}`;
  return i % 2 === 0 ? KeyValueStore.setValue(key, i) : KeyValueStore.getValue(key);
}

async function sequential(count: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) await request(i);
  return count / ((performance.now() - start) / 1000);
}

async function inFlight(count: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await request(next++);
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

export default async function main({ argv }: MainContext): Promise<void> {
  const sequentialCount = Number(argv[0] ?? 20_000);
  const inFlightCount = Number(argv[1] ?? 50_000);
  await sequential(WARMUP);
  await inFlight(WARMUP * 10);
  const sequentialOpsPerSecond = await sequential(sequentialCount);
  const inFlightOpsPerSecond = await inFlight(inFlightCount);
  console.log(JSON.stringify({ sequentialCount, inFlightCount, sequentialOpsPerSecond, inFlightOpsPerSecond }));
}

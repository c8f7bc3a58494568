// redis-server through ioredis, the same requests as bench/scripts/kvs.ts: sequential SET/GET, then 100 in flight.
//   node bench/peers/redis.mjs <port> <sequential count> <in-flight count>
import { Redis } from "ioredis";

const WARMUP = 1000;
const IN_FLIGHT = 100;
const [port, sequentialCount, inFlightCount] = process.argv.slice(2).map(Number);
const redis = new Redis({ host: "127.0.0.1", port, lazyConnect: true });
await redis.connect();

/** Request i: a SET on even i, a GET on odd i, over 100 keys. */
const request = (i) => (i % 2 === 0 ? redis.set(`key${i % 100}`, String(i)) : redis.get(`key${i % 100}`));

async function sequential(count) {
  const start = performance.now();
  for (let i = 0; i < count; i++) await request(i);
  return count / ((performance.now() - start) / 1000);
}

async function inFlight(count) {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await request(next++);
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

await sequential(WARMUP);
await inFlight(WARMUP * 10);
const sequentialOpsPerSecond = await sequential(sequentialCount);
const inFlightOpsPerSecond = await inFlight(inFlightCount);
console.log(JSON.stringify({ sequentialCount, inFlightCount, sequentialOpsPerSecond, inFlightOpsPerSecond }));
redis.disconnect();

import { Job, type MainContext } from "strmbrkr";
export function spin(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
}
export default async function main({ queue }: MainContext): Promise<void> {
  const t0 = Date.now();
  queue.queueJobs(Array.from({ length: 80 }, () => new Job(spin, [50])));
  await queue.blockUntilProcessed();
  const all = queue.getResults().map((j) => j.pipeline);
  const busy = all.reduce((s, p) => s + (p.processed! - p.started!), 0);
  const wall = Date.now() - t0;
  console.log(JSON.stringify({ wall, busy, eff: (busy / 2 / wall) * 100 }));
}

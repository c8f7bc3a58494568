/**
 * A parameter sweep to watch on the dashboard: a few hundred simulations of a damped oscillator
 * (CPU-bound, 20–120 ms each), a summary job per batch, and a few parameters the model rejects
 * (they throw). Progress is kept in the key-value store.
 *
 *   npx strmbrkr run examples/parameter-sweep.ts --dashboard          # open the address it prints
 *   npx strmbrkr run examples/parameter-sweep.ts --dashboard -- 2000  # a longer sweep
 */
import { KeyValueStore, type MainContext } from "strmbrkr";

export interface Parameters {
  damping: number;
  stiffness: number;
  steps: number;
}

/** Integrates x'' = -k x - c x' with small steps; returns the energy left at the end. */
export function simulate({ damping, stiffness, steps }: Parameters): number {
  if (damping < 0) throw new RangeError(`simulate: damping must be >= 0, got ${damping}`);
  let x = 1;
  let v = 0;
  const dt = 1e-5;
  for (let i = 0; i < steps; i++) {
    v += (-stiffness * x - damping * v) * dt;
    x += v * dt;
  }
  return 0.5 * v * v + 0.5 * stiffness * x * x;
}

/** Summarises one batch of energies and counts it done in the store. */
export async function summarize(batch: number, energies: number[]): Promise<{ batch: number; mean: number; max: number }> {
  const mean = energies.reduce((sum, e) => sum + e, 0) / energies.length;
  await KeyValueStore.incrValue("batches_done");
  await KeyValueStore.setValue(`batch:${batch}`, { mean, max: Math.max(...energies) });
  return { batch, mean, max: Math.max(...energies) };
}

export default async function main({ queue, argv }: MainContext): Promise<void> {
  const count = Number(argv[0] ?? 400);
  const batchSize = 20;
  await KeyValueStore.setValue("sweep", { simulations: count, batchSize, started: new Date().toISOString() });
  let failed = 0;
  const batches: Promise<unknown>[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const runs = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => {
      const n = start + i;
      // Every 97th parameter set is one the model rejects: it throws, and its job fails.
      const damping = n % 97 === 13 ? -1 : (n % 10) / 10;
      return queue.submit(simulate, { damping, stiffness: 1 + (n % 7), steps: 2_000_000 + (n % 11) * 1_000_000 });
    });
    const batch = start / batchSize;
    batches.push(
      Promise.allSettled(runs).then((settled) => {
        const energies = settled.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
        failed += settled.length - energies.length;
        return queue.submit(summarize, batch, energies);
      }),
    );
  }
  await Promise.all(batches);
  console.log(`${count} simulations in ${batches.length} batches; ${failed} failed (parameters the model rejects)`);
  console.log(`batches done: ${await KeyValueStore.getValue("batches_done")}`);
}

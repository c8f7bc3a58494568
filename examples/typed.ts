/**
 * The TypeScript way: typed `submit`, `map` with back-pressure, `results()` as jobs finish,
 * priorities, and cancellation with an AbortSignal.
 *
 *   npx strmbrkr run examples/typed.ts
 */
import { Cancelled, Job, JobError, type MainContext } from "strmbrkr";

/** Steps the Collatz sequence takes from `n` to 1. */
export function collatzSteps(n: number): { n: number; steps: number } {
  let steps = 0;
  for (let x = n; x !== 1; steps++) x = x % 2 === 0 ? x / 2 : 3 * x + 1;
  return { n, steps };
}

export async function report(name: string): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return name;
}

/** Runs until it is cancelled. */
export async function forever(): Promise<never> {
  for (;;) await new Promise((resolve) => setTimeout(resolve, 1_000));
}

function* range(from: number, to: number): Generator<number> {
  for (let n = from; n < to; n++) yield n;
}

export default async function main({ queue }: MainContext): Promise<void> {
  // submit: a promise of what the function returns; a wrong argument type does not compile.
  const { steps } = await queue.submit(collatzSteps, 27);
  console.log(`submit: 27 reaches 1 in ${steps} steps`);

  // map: 100,000 jobs from a generator, never more than 512 out at once.
  let longest = { n: 0, steps: 0 };
  for await (const result of queue.map(collatzSteps, range(1, 100_000), { inFlight: 512 })) {
    if (result.steps > longest.steps) longest = result;
  }
  console.log(`map: below 100000, ${longest.n} takes the most steps (${longest.steps})`);

  // Priorities: the urgent job is delegated before the routine ones queued with it.
  const routine = ["routine 1", "routine 2", "routine 3"].map((name) => new Job(report, [name]));
  queue.queueJobs(...routine, new Job(report, ["urgent"], { priority: 10 }));
  const finished: string[] = [];
  for await (const job of queue.results()) finished.push(job.retval as string);
  console.log(`results: ${finished.length} jobs finished; the urgent one went out first`);

  // Cancellation: a deadline on a job that would never end; its worker is replaced.
  try {
    await queue.submitWith({ signal: AbortSignal.timeout(300) }, forever);
  } catch (error) {
    if (error instanceof JobError && error.cause instanceof Cancelled) console.log(`cancelled: ${error.remote.message}`);
    else throw error;
  }
}

/** The async-iteration side of QueueManager: `map` with back-pressure and `results()`. */
import { Cancelled } from "../runtime/util/errors.js";
import type { JobOptions } from "../runtime/client/job.js";

/** Options of `QueueManager.map`: how many jobs may be out, result order, and per-job options. */
export interface MapOptions extends JobOptions {
  /** Yield results in input order (a slow job holds back the ones after it). Default false: as they finish. */
  ordered?: boolean;
  /** Most jobs submitted and not yet yielded at any time. Default 64. */
  inFlight?: number;
}

/** Default `inFlight`: the QueueManager does not know the pool size, so a fixed number, a few per worker for typical pools. */
export const DEFAULT_IN_FLIGHT = 64;

type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Pulls items from `input` only while fewer than `inFlight` jobs are held (submitted and not yet
 * yielded), runs `start(item)` for each and yields the values; the first failure is thrown. Once
 * `signal` aborts it throws Cancelled at once (the jobs out, given the same signal, are cancelled).
 */
export async function* mapWithBackPressure<T, R>(
  input: Iterable<T> | AsyncIterable<T>,
  start: (item: T) => Promise<R>,
  { ordered = false, inFlight = DEFAULT_IN_FLIGHT, signal }: Pick<MapOptions, "ordered" | "inFlight" | "signal">,
): AsyncGenerator<R, void, undefined> {
  if (!Number.isInteger(inFlight) || inFlight < 1) throw new RangeError(`map: inFlight must be an integer >= 1, got ${String(inFlight)}`);
  if (typeof ordered !== "boolean") throw new TypeError(`map: ordered must be a boolean, got ${typeof ordered}`);
  const iterator = toAsyncIterator(input);
  // Ordered: a FIFO of pending slots. Unordered: settled results in finishing order.
  const slots: { result?: Settled<R> }[] = [];
  const done: Settled<R>[] = [];
  let held = 0;
  let exhausted = false;
  let wake: (() => void) | undefined;
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      if (signal?.aborted) throw new Cancelled("map was cancelled: its signal was aborted");
      while (!exhausted && held < inFlight) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        held++;
        const slot: { result?: Settled<R> } = {};
        if (ordered) slots.push(slot);
        // Settle into a value at once so a failure never becomes an unhandled rejection.
        start(next.value)
          .then(
            (value) => ({ ok: true, value }) as const,
            (error: unknown) => ({ ok: false, error }) as const,
          )
          .then((result) => {
            if (ordered) slot.result = result;
            else done.push(result);
            wake?.();
          });
      }
      if (held === 0) return;
      const ready = () => (ordered ? slots[0]!.result !== undefined : done.length > 0);
      while (!ready() && !signal?.aborted) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      if (signal?.aborted) continue; // throws at the top
      const result = ordered ? slots.shift()!.result! : done.shift()!;
      held--;
      if (!result.ok) throw result.error;
      yield result.value;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!exhausted) await iterator.return?.();
  }
}

function toAsyncIterator<T>(input: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (input != null && typeof (input as AsyncIterable<T>)[Symbol.asyncIterator] === "function")
    return (input as AsyncIterable<T>)[Symbol.asyncIterator]();
  if (input != null && typeof (input as Iterable<T>)[Symbol.iterator] === "function") {
    const sync = (input as Iterable<T>)[Symbol.iterator]();
    return {
      next: async () => sync.next(),
      return: async () => sync.return?.() ?? { done: true, value: undefined },
    };
  }
  throw new TypeError(`map: input must be an iterable or async iterable, got ${input === null ? "null" : typeof input}`);
}

/** Where `drain` takes items from: `take` may throw (the error ends the iteration). */
export interface DrainSource<T> {
  take(): T | undefined;
  /** Whether more items may still come. */
  more(): boolean;
  /** Resolves at the next change (an item arrived, the source stopped or failed). */
  changed(): Promise<void>;
}

/** Yields items as they arrive until the source has none buffered and expects no more. */
export async function* drain<T>(source: DrainSource<T>): AsyncGenerator<T, void, undefined> {
  for (;;) {
    const item = source.take();
    if (item !== undefined) {
      yield item;
      continue;
    }
    if (!source.more()) return;
    await source.changed();
  }
}

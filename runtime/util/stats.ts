/** Counters for this process's progress line, kept by every QueueManager and WorkerManager in it. */
export const runStats = {
  queued: 0,
  processed: 0,
  failed: 0,
  workers: 0,
  busy: 0,
  /** Remote worker processes (`strmbrkr run --listen`); undefined when not listening. */
  remote: undefined as number | undefined,
};

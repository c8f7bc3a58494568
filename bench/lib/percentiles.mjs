// Latency percentiles, shared by strmbrkr's bench script and its peers' so all are computed alike.

/**
 * `micros` holds 2 × `count` round trips in µs, in the order they ran: p50/p99/max of the first
 * `count` (the pool as it starts), p50/p99 of the rest (the pool warmed by those).
 */
export function percentiles(micros, count) {
  const sorted = (part) => part.sort((a, b) => a - b);
  const at = (part, q) => part[Math.min(part.length - 1, Math.floor(q * part.length))];
  const cold = sorted(micros.slice(0, count));
  const warm = sorted(micros.slice(count));
  return {
    samples: count,
    p50Us: at(cold, 0.5),
    p99Us: at(cold, 0.99),
    maxUs: cold[cold.length - 1],
    warmP50Us: at(warm, 0.5),
    warmP99Us: at(warm, 0.99),
  };
}

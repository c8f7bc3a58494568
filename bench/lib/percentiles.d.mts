export declare function percentiles(
  micros: number[],
  count: number,
): { samples: number; p50Us: number; p99Us: number; maxUs: number; warmP50Us: number; warmP99Us: number };

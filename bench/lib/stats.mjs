// Summaries of repeated measurements.

export function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `{ median, min, max, values }` of the numbers among `values` (failed repetitions are undefined). */
export function summarize(values) {
  const numbers = values.filter((value) => typeof value === "number" && Number.isFinite(value));
  if (numbers.length === 0) return { median: undefined, min: undefined, max: undefined, values: numbers, failed: values.length };
  return {
    median: median(numbers),
    min: Math.min(...numbers),
    max: Math.max(...numbers),
    values: numbers,
    failed: values.length - numbers.length,
  };
}

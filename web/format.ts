/** How the page writes numbers and times: short, fixed-width where it can be, units always shown. */

/** A count as plain digits: what the totals' test hooks read, and what `tabular-nums` keeps aligned. */
export const formatCount = (n: number): string => String(Math.round(n));

/** A job's duration: "850 µs", "12.3 ms", "1.25 s", "2m 05s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 0.9995) return `${threeDigits(ms * 1000)} µs`;
  if (ms < 999.5) return `${threeDigits(ms)} ms`;
  if (ms < 59_950) return `${threeDigits(ms / 1000)} s`;
  return formatSeconds(ms / 1000);
}

/** At most three significant digits, no trailing zeros: 12.3, 1.25, 850. */
const threeDigits = (x: number): string => String(Number(x.toPrecision(3)));

/** A span of whole seconds: "45s", "2m 05s", "1h 02m". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor(s / 3600) % 24)}h`;
}

/** Elapsed run time on a chart's axis: "0:45", "12:30", "1:02:00". */
export function formatClockSpan(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  return h > 0 ? `${h}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}` : `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

/** One formatter for every time of day: building one per call (toLocaleTimeString) is slow enough to show in a profile. */
const TIME_OF_DAY = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });

/** Wall-clock time of day, local: "14:03:27". */
export const formatTimeOfDay = (epochMs: number): string => TIME_OF_DAY.format(epochMs);

/** A rate per second, to three significant digits at most: "0.42", "12.5", "1250". */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return "0";
  return rate >= 100 ? String(Math.round(rate)) : threeDigits(rate);
}

/** A value that may be missing (remote workers report no CPU): "–" then. */
export const formatOptional = (value: number | undefined, digits = 0): string => (value === undefined ? "–" : value.toFixed(digits));

/** A share as a percentage: "35%", and one significant digit under 10%: "4%", "0.3%". */
export const formatPercent = (share: number): string =>
  share >= 0.1 ? `${Math.round(share * 100)}%` : `${Number((share * 100).toPrecision(1))}%`;

import { useLayoutEffect, useRef } from "preact/hooks";
import type { FunctionView } from "../../runtime/wire/dashboard.js";
import { formatCount, formatMs } from "../format.js";
import { bucketRange, drawHistogram } from "../histogram.js";
import { useElementWidth, useTheme } from "../hooks.js";
import type { FunctionColors, Theme } from "../theme.js";
import { Swatch } from "./panel.js";

/** What a histogram needs of a function: the dashboard's FunctionView, or a journal report's FunctionSummary. */
type FunctionDurations = Pick<FunctionView, "fn" | "durations">;

/** A histogram of job durations per function, on one shared log-scaled axis so they compare at a glance. */
export function DurationsPanel(props: {
  functions: readonly FunctionDurations[];
  bounds: readonly number[] | null;
  colors: FunctionColors;
}) {
  const theme = useTheme();
  if (!props.bounds) return <p class="empty">Waiting for the duration buckets.</p>;
  const measured = props.functions.filter((fn) => fn.durations.count > 0);
  if (measured.length === 0) return <p class="empty">No job has ended yet.</p>;
  const range = bucketRange(measured.map((fn) => fn.durations));
  return (
    <ul class="histograms" data-testid="durations">
      {measured.map((fn) => (
        <li key={fn.fn}>
          <div class="histogram-head">
            <span>
              <Swatch colour={props.colors.cssVar(fn.fn)} />
              {fn.fn}
            </span>
            <span class="muted">
              {formatCount(fn.durations.count)} jobs · mean {formatMs(fn.durations.sumMs / fn.durations.count)}
            </span>
          </div>
          <HistogramCanvas fn={fn} bounds={props.bounds!} range={range} theme={theme} colour={theme.palette[props.colors.slot(fn.fn)]!} />
        </li>
      ))}
    </ul>
  );
}

interface HistogramCanvasProps {
  fn: FunctionDurations;
  bounds: readonly number[];
  range: [number, number];
  theme: Theme;
  colour: string;
}

function HistogramCanvas({ fn, bounds, range, theme, colour }: HistogramCanvasProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const width = useElementWidth(ref);
  const { durations } = fn;
  useLayoutEffect(() => {
    if (!ref.current || width === 0) return;
    const markers = [
      ...(durations.p50Ms === null ? [] : [{ label: "p50", ms: durations.p50Ms }]),
      ...(durations.p95Ms === null ? [] : [{ label: "p95", ms: durations.p95Ms }]),
    ];
    drawHistogram(ref.current, durations, bounds, { theme, colour, range, markers, width, height: 64 });
    // A histogram changes only when jobs end: its count stands for its contents.
  }, [durations.count, bounds, range[0], range[1], theme, colour, width]);
  return <canvas class="histogram" ref={ref} role="img" aria-label={`durations of ${fn.fn}`} />;
}

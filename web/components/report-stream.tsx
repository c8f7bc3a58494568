import { useLayoutEffect, useRef } from "preact/hooks";
import type { RunSummary } from "../../runtime/wire/journal-report.js";
import { formatMs } from "../format.js";
import { useElementWidth, useTheme } from "../hooks.js";
import { drawTaskStream } from "../task-stream.js";
import type { FunctionColors } from "../theme.js";

/**
 * A whole run's task stream: the dashboard's drawing over the run's span, a row per worker (the
 * slices name workers by pid), the axis in time since the run started. Drawn again when the width
 * or the colour scheme changes; the rows drawn are left on the canvas (`data-lanes`) for tests.
 */
export function RunTaskStream({ run, colors }: { run: RunSummary; colors: FunctionColors }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const width = useElementWidth(ref);
  const theme = useTheme();
  useLayoutEffect(() => {
    const canvas = ref.current;
    if (!canvas || width === 0) return;
    const workers = run.workers.map(({ pid }) => ({ id: String(pid), machine: "local", label: `worker ${pid}` }));
    const lanes = drawTaskStream(canvas, run.stream.slices, workers, run.end, {
      theme,
      colorOf: (fn) => theme.palette[colors.slot(fn)]!,
      windowMs: Math.max(1, run.end - run.at),
      width,
      maxHeight: 600,
      timeLabel: (t) => (t === run.at ? "0" : formatMs(t - run.at)),
      timeOrigin: run.at,
    });
    canvas.dataset.lanes = lanes.join(" ");
  }, [run, colors, theme, width]);
  return (
    <canvas
      class="task-stream"
      data-testid="task-stream"
      ref={ref}
      role="img"
      aria-label={`Jobs of run ${run.index}, one row per worker, over the whole run`}
    />
  );
}

import { useEffect, useRef } from "preact/hooks";
import type { Connection } from "../connection.js";
import { drawTaskStream } from "../task-stream.js";
import { type FunctionColors, onColorSchemeChange, readTheme, type Theme } from "../theme.js";

const WINDOW_MS = 60_000;
/** Sliding alone redraws at most 10 times a second, however wide the screen: smooth enough for a minute-wide view. */
const MIN_SLIDE_MS = 100;

/**
 * The task stream's canvas, redrawn from an animation-frame loop of its own rather than on each
 * render: at most once a frame, and only when something changed: an update, the size, the colours,
 * or time having slid the view by a whole pixel and at least MIN_SLIDE_MS.
 */
export function TaskStreamCanvas({ connection, colors }: { connection: Connection; colors: FunctionColors }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current!;
    let theme: Theme = readTheme(canvas);
    let palette = theme.palette;
    let drawn = { update: null as unknown, step: Number.NaN, width: -1 };
    const offScheme = onColorSchemeChange(() => {
      theme = readTheme(canvas);
      palette = theme.palette;
      drawn = { ...drawn, width: -1 };
    });
    const colorOf = (fn: string) => palette[colors.slot(fn)]!;
    // Read the width from a ResizeObserver: reading clientWidth each frame would force a layout each frame.
    let width = canvas.clientWidth;
    const resizes = new ResizeObserver(([entry]) => (width = Math.floor(entry!.contentRect.width)));
    resizes.observe(canvas);
    let frame = requestAnimationFrame(function tick() {
      frame = requestAnimationFrame(tick);
      const update = connection.update;
      if (!update || width === 0) return;
      const now = connection.serverNow();
      // About a pixel of the plot (which is a little narrower than the canvas), or MIN_SLIDE_MS.
      const step = Math.floor(now / Math.max(WINDOW_MS / width, MIN_SLIDE_MS));
      if (update === drawn.update && step === drawn.step && width === drawn.width) return;
      drawn = { update, step, width };
      drawTaskStream(canvas, connection.slices.slices, update.workers, now, { theme, colorOf, windowMs: WINDOW_MS, width });
    });
    return () => {
      cancelAnimationFrame(frame);
      resizes.disconnect();
      offScheme();
    };
  }, [connection, colors]);
  return (
    <canvas
      class="task-stream"
      data-testid="task-stream"
      ref={ref}
      role="img"
      aria-label="Jobs of the last 60 seconds, one row per worker"
    />
  );
}

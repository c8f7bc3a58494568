import { useEffect, useLayoutEffect, useRef } from "preact/hooks";

/**
 * The run's last output lines; it follows new lines unless the reader has scrolled up to read.
 * Scrolling to the end reads the layout, so it waits while the log is off screen (its panel skips
 * layout then) and catches up when it comes into view.
 */
export function LogTail({ lines }: { lines: readonly string[] }) {
  const ref = useRef<HTMLPreElement>(null);
  const following = useRef(true);
  const onScreen = useRef(false);
  const behind = useRef(true);
  const scrollToEnd = () => {
    const pre = ref.current;
    if (!pre) return;
    pre.scrollTop = pre.scrollHeight;
    behind.current = false;
  };
  useEffect(() => {
    const observer = new IntersectionObserver(([entry]) => {
      onScreen.current = entry!.isIntersecting;
      if (onScreen.current && behind.current && following.current) scrollToEnd();
    });
    observer.observe(ref.current!);
    return () => observer.disconnect();
  }, []);
  useLayoutEffect(() => {
    behind.current = true;
    if (onScreen.current && following.current) scrollToEnd();
  }, [lines.length, lines.at(-1)]); // each update brings a new array: scroll only when the last line changed
  const onScroll = () => {
    const pre = ref.current;
    if (pre) following.current = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 24;
  };
  return (
    <pre class="log" data-testid="log" ref={ref} onScroll={onScroll} tabIndex={0}>
      {lines.length > 0 ? lines.map(withoutTerminalCodes).join("\n") : <span class="muted">No output yet.</span>}
    </pre>
  );
}

/** Colour and cursor codes meant for a terminal, which a page would show as garbage. */
const withoutTerminalCodes = (line: string) => line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");

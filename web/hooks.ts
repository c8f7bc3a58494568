import type { RefObject } from "preact";
import { useEffect, useState } from "preact/hooks";
import { onColorSchemeChange, readTheme, type Theme } from "./theme.js";

/** The canvas colours, read again when the colour scheme flips. */
export function useTheme(): Theme {
  const [theme, setTheme] = useState(() => readTheme(document.body));
  useEffect(() => onColorSchemeChange(() => setTheme(readTheme(document.body))), []);
  return theme;
}

/** The element's content width in CSS pixels, kept up to date (window resizes, the grid reflowing). */
export function useElementWidth(ref: RefObject<Element | null>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    setWidth(element.clientWidth);
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry!.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

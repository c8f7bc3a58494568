/**
 * The colours the canvas drawings use, read from the stylesheet's CSS variables so light and dark
 * follow `prefers-color-scheme` in one place (app.css); and the colour each function gets.
 * No Preact here: the task stream and histograms reuse it outside the live page.
 */

export interface Theme {
  background: string;
  text: string;
  muted: string;
  grid: string;
  failure: string;
  font: string;
  /** Colours for functions, readable on `background` in light and dark: Tableau's ten less its red, which marks failures. */
  palette: string[];
}

/** Used for any variable the page does not define (a page without app.css). */
const FALLBACK: Theme = {
  background: "#ffffff",
  text: "#1f2328",
  muted: "#6a737d",
  grid: "#e3e6ea",
  failure: "#d1242f",
  font: "system-ui, sans-serif",
  palette: ["#4e79a7", "#f28e2b", "#76b7b2", "#59a14f", "#e0b52e", "#b07aa1", "#ff9da7", "#9c755f", "#a39c98"],
};

export const PALETTE_SIZE = FALLBACK.palette.length;

/** The theme as `element` sees it: `--bg`, `--fg`, `--muted`, `--grid`, `--failure`, `--fn-0` … `--fn-8`. */
export function readTheme(element: Element): Theme {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    background: read("--bg", FALLBACK.background),
    text: read("--fg", FALLBACK.text),
    muted: read("--muted", FALLBACK.muted),
    grid: read("--grid", FALLBACK.grid),
    failure: read("--failure", FALLBACK.failure),
    font: style.fontFamily || FALLBACK.font,
    palette: FALLBACK.palette.map((colour, i) => read(`--fn-${i}`, colour)),
  };
}

/** Calls `listener` when the colour scheme flips; returns the unsubscribe. */
export function onColorSchemeChange(listener: () => void): () => void {
  const query = matchMedia("(prefers-color-scheme: dark)");
  query.addEventListener("change", listener);
  return () => query.removeEventListener("change", listener);
}

/**
 * Gives each function a palette slot for the page's lifetime: the slot its name hashes to, or the
 * next free one: a function keeps its colour across reloads (unless another took its slot first), and the first nine never share one.
 */
export class FunctionColors {
  readonly #slots = new Map<string, number>();

  slot(fn: string): number {
    let slot = this.#slots.get(fn);
    if (slot === undefined) {
      const taken = new Set(this.#slots.values());
      const home = hash(fn) % PALETTE_SIZE;
      slot = home;
      for (let step = 0; step < PALETTE_SIZE; step++) {
        const candidate = (home + step) % PALETTE_SIZE;
        if (!taken.has(candidate)) {
          slot = candidate;
          break;
        }
      }
      this.#slots.set(fn, slot);
    }
    return slot;
  }

  /** The CSS colour for HTML elements: follows the scheme by itself. */
  cssVar(fn: string): string {
    return `var(--fn-${this.slot(fn)})`;
  }
}

/** FNV-1a: a stable, well-spread hash of a short string. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

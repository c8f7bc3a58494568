import { execFileSync } from "node:child_process";
import { chromium, type Browser } from "playwright-core";

/**
 * The browser the dashboard's tests drive: STRMBRKR_CHROMIUM, else Debian's `chromium` on PATH
 * (scripts/ensure-chromium.sh, which `npm test` runs first, installs it).
 */
export function chromiumPath(): string {
  const named = process.env.STRMBRKR_CHROMIUM;
  if (named) return named;
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("no chromium on PATH: run scripts/ensure-chromium.sh (npm test does), or set STRMBRKR_CHROMIUM");
  }
}

/** Headless Chromium; closed by `t.teardown`. As root (CI containers) its sandbox cannot start, so it runs without. */
export async function openBrowser(t: { teardown(fn: () => unknown): void }): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
  });
  t.teardown(() => browser.close());
  return browser;
}

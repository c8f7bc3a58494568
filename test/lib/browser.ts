import type { Browser } from "playwright-core";
import { launchChromium } from "../../scripts/chromium.mjs";

/** Headless Chromium (scripts/chromium.mjs), closed by `t.teardown`. */
export async function openBrowser(t: { teardown(fn: () => unknown): void }): Promise<Browser> {
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  return browser;
}

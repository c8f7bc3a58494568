// The browser the dashboard's tests and screenshots drive: STRMBRKR_CHROMIUM, else Debian's
// `chromium` on PATH (scripts/ensure-chromium.sh installs it), headless, through playwright-core.
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";

export function chromiumPath() {
  if (process.env.STRMBRKR_CHROMIUM) return process.env.STRMBRKR_CHROMIUM;
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("no chromium on PATH: run scripts/ensure-chromium.sh (npm test does), or set STRMBRKR_CHROMIUM");
  }
}

/** As root (CI containers) Chromium's sandbox cannot start, so it runs without. */
export function launchChromium() {
  return chromium.launch({ executablePath: chromiumPath(), args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
}

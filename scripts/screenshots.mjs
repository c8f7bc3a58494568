// npm run screenshots: the dashboard of a real run (examples/parameter-sweep.ts, 4 workers) in
// headless Chromium, as docs/images/dashboard-{light,dark,phone}.png. Needs a build (npm run build)
// and chromium (scripts/ensure-chromium.sh).
/* global document -- in page.waitForFunction, which runs in the page */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const images = `${root}docs/images`;
const run = spawn(
  process.execPath,
  ["bin/strmbrkr.js", "run", "examples/parameter-sweep.ts", "--dashboard", "-w", "4", "--no-progress", "--", "600"],
  {
    cwd: root,
    env: { ...process.env, STRMBRKR_SHUTDOWN_GRACE: "0" },
    stdio: ["ignore", "ignore", "pipe"],
  },
);
const exited = new Promise((resolve) => run.on("exit", resolve));
const url = await new Promise((resolve, reject) => {
  let stderr = "";
  run.stderr.on("data", (chunk) => {
    stderr += chunk;
    const found = /dashboard on (\S+)/.exec(stderr);
    if (found) resolve(found[1]);
  });
  run.on("exit", () => reject(new Error(`the run ended before its dashboard started:\n${stderr}`)));
});

const browser = await launchChromium();
try {
  mkdirSync(images, { recursive: true });
  const shots = [
    { name: "dashboard-light", viewport: { width: 1280, height: 900 }, colorScheme: "light" },
    { name: "dashboard-dark", viewport: { width: 1280, height: 900 }, colorScheme: "dark" },
    { name: "dashboard-phone", viewport: { width: 390, height: 844 }, colorScheme: "light", deviceScaleFactor: 2 },
  ];
  const pages = [];
  for (const { name, viewport, colorScheme, deviceScaleFactor = 1 } of shots) {
    // A context each: a window each, so no page is a background tab (which draws nothing).
    const page = await (await browser.newContext({ viewport, colorScheme, deviceScaleFactor })).newPage();
    await page.goto(url);
    pages.push({ name, page });
  }
  // Mid-run: some jobs done, a failure listed, the store filling, the task stream full.
  const [{ page: first }] = pages;
  await first.waitForFunction(
    () =>
      Number(document.querySelector('[data-testid="total-done"]')?.textContent) >= 200 &&
      document.querySelectorAll('[data-testid="failure"]').length > 0,
    undefined,
    { timeout: 120_000, polling: 250 },
  );
  for (const { name, page } of pages) {
    writeFileSync(`${images}/${name}.png`, await page.screenshot({ fullPage: name !== "dashboard-phone" }));
    console.log(`docs/images/${name}.png`);
  }
} finally {
  await browser.close();
  run.kill("SIGINT"); // as Ctrl-C: the run stops its processes
  await exited;
}

// npm run screenshots: the dashboard of a real run (examples/parameter-sweep.ts, 4 workers) in
// headless Chromium, as docs/images/dashboard-{light,dark,phone}.png; and the HTML report of another
// run's journal (`strmbrkr report --html`), as docs/images/journal-report.png. Needs a build (npm run
// build) and chromium (scripts/ensure-chromium.sh). `node scripts/screenshots.mjs report` (or
// `dashboard`) makes only those.
/* global document -- in page.waitForFunction, which runs in the page */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launchChromium } from "./chromium.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const images = `${root}docs/images`;
const only = process.argv[2];
if (only !== undefined && only !== "dashboard" && only !== "report")
  throw new Error(`screenshots: make "dashboard" or "report", not ${only}`);
mkdirSync(images, { recursive: true });
if (only !== "report") await dashboardShots();
if (only !== "dashboard") await reportShot();

async function dashboardShots() {
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
}

/** A whole sweep with --journal, then `strmbrkr report --html`, opened from its file. */
async function reportShot() {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-screenshots-"));
  try {
    const journal = join(dir, "sweep.journal");
    const html = join(dir, "sweep.html");
    await strmbrkr(["run", "examples/parameter-sweep.ts", "-w", "4", "--no-progress", "--journal", journal, "--", "400"]);
    await strmbrkr(["report", "sweep.journal", "--html", "sweep.html"], dir); // the page shows the journal's name as given
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
      const page = await context.newPage();
      await page.goto(pathToFileURL(html).href);
      await page.waitForFunction(() => document.querySelector('[data-testid="task-stream"]')?.getAttribute("data-lanes"));
      writeFileSync(`${images}/journal-report.png`, await page.screenshot({ fullPage: true }));
      console.log("docs/images/journal-report.png");
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `strmbrkr <args>` in `cwd` to its end; rejects, with its stderr, unless it exits 0. */
function strmbrkr(args, cwd = root) {
  const child = spawn(process.execPath, [`${root}bin/strmbrkr.js`, ...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`strmbrkr ${args.join(" ")} exited ${code}:\n${stderr}`)))),
  );
}

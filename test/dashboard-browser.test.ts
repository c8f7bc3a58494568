/**
 * The dashboard in a real browser (headless Chromium, driven by playwright-core), on real runs:
 * the page opens from the address the run prints, shows each worker and the progress advancing,
 * shows a failing job's stack in the script's own file and line, cancels a running job from its
 * button (the job ends Cancelled), refuses a browser without the token, and after 100,000 jobs is
 * still up to date and answering, with a bounded page.
 */
import { readFileSync } from "node:fs";
import t from "tap";
import { fixture, lastJson, processesGone } from "./lib/cli.js";
import { openBrowser } from "./lib/browser.js";
import { dashboardOf } from "./lib/dashboard.js";
import { launch } from "./lib/remote.js";

const RUN = fixture("dashboard-run.ts");
/** The line of the fixture that throws: a failure's stack must name it. */
const THROW_LINE =
  readFileSync(RUN, "utf8")
    .split("\n")
    .findIndex((line) => line.includes("throw new RangeError")) + 1;

t.test("the page: workers, progress, a failure's stack, cancel a running job", { timeout: 150_000 }, async (t) => {
  const browser = await openBrowser(t);
  const run = launch(t, ["run", RUN, "--dashboard", "--workers", "2", "--no-progress", "--", "300", "hold", "20"], { timeoutMs: 140_000 });
  const dashboard = await dashboardOf(run);

  const stranger = await browser.newPage();
  const refused = await stranger.goto(`${dashboard.base}/`);
  t.equal(refused?.status(), 401, "a browser without the token gets 401");
  t.match(await stranger.textContent("body"), /needs its token/, "and one line saying why");

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  await page.goto(dashboard.url);
  t.equal(new URL(page.url()).search, "", "the token left the address bar");

  // Each worker, with the long job on one of them (the other runs the squares).
  const holding = page.locator('[data-testid="worker-row"]', { hasText: "hold" });
  await holding.waitFor();
  t.equal(await page.locator('[data-testid="worker-row"]').count(), 2, "both workers are listed");
  t.equal(await holding.getAttribute("data-state"), "busy", "the worker running the long job is busy, and shows the job");

  // The progress advances.
  const done = () => page.locator('[data-testid="total-done"]').textContent().then(Number);
  const before = await done();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="total-done"]')?.textContent) > n, before);
  t.ok((await done()) > before, "the done count advances");
  await page.locator('[data-testid="fn-row"][data-fn="square"]').waitFor();

  // A failing job: its error and the stack in the script's own file.
  const failure = page.locator('[data-testid="failure"]').first();
  await failure.waitFor();
  t.match(await failure.textContent(), /RangeError.*is unlucky/s, "the failure's error");
  t.match(
    await failure.locator('[data-testid="stack"]').textContent(),
    new RegExp(`dashboard-run\\.ts:${THROW_LINE}:\\d+`),
    "its stack names the script's line",
  );

  // Cancel the long job from its worker's row.
  page.on("dialog", (dialog) => void dialog.accept());
  await holding.locator('[data-testid^="cancel-"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-state"]')?.textContent === "stopped", undefined, {
    timeout: 120_000,
  });
  const result = await run.done;
  t.equal(result.code, 0, "the run ends once the long job is cancelled");
  t.same(lastJson(result.stdout).hold, { status: "failed", error: "Cancelled" }, "the job cancelled from the page ended Cancelled");
  t.same(errors, [], "no error in the page's console");
  t.same(await processesGone(run.instanceId), [], "no process of the run is left");
});

t.test("after 100,000 jobs the page is up to date, answers, and stays bounded", { timeout: 240_000 }, async (t) => {
  const JOBS = 100_000;
  const browser = await openBrowser(t);
  const run = launch(t, ["run", RUN, "--dashboard", "--workers", "2", "--no-progress", "--", String(JOBS), "no-hold"], {
    timeoutMs: 230_000,
  });
  const dashboard = await dashboardOf(run);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(dashboard.url);
  await page.waitForFunction(() => document.querySelector('[data-testid="run-state"]')?.textContent === "stopped", undefined, {
    timeout: 220_000,
  });
  const result = await run.done;
  t.equal(result.code, 0, "the run succeeded", { stderr: result.stderr });
  const printed = lastJson(result.stdout);
  t.equal(printed.processed + printed.failed, JOBS, "every job ended");
  const shown = await page.evaluate(() => ({
    done: Number(document.querySelector('[data-testid="total-done"]')?.textContent),
    failed: Number(document.querySelector('[data-testid="total-failed"]')?.textContent),
    updates: Number(document.body.dataset.updates),
    nodes: document.getElementsByTagName("*").length,
  }));
  t.same(
    { done: shown.done, failed: shown.failed },
    { done: printed.processed, failed: printed.failed },
    "the page shows the run's final counts",
  );
  t.ok(shown.updates >= 2, `the page took every update (${shown.updates})`);
  t.ok(shown.nodes < 5_000, `the page stays small: ${shown.nodes} elements after ${JOBS} jobs`);
  t.equal(await page.evaluate(() => 1 + 1), 2, "and still answers");
});

/**
 * `strmbrkr report JOURNAL --html FILE` on a real run's journal, opened in headless Chromium from
 * the file: it makes no request (everything is inlined), logs no error, draws the task stream with
 * a lane per worker and both functions' bars, and lists the failures with stacks that name the
 * fixture's line. Written 0600, beside the summary and a trace when both flags are given.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import t from "tap";
import { openBrowser } from "./lib/browser.js";
import { strmbrkr } from "./lib/cli.js";
import { reportRun, THROW_LINE } from "./lib/journal.js";

t.test("the HTML report: self-contained, the task stream per worker, failures with their stacks", { timeout: 120_000 }, async (t) => {
  const { dir, journal, pids } = await reportRun(t);
  const html = join(dir, "report.html");
  const trace = join(dir, "trace.json");
  const result = await strmbrkr(["report", journal, "--html", html, "--trace", trace], { timeoutMs: 30_000 });
  t.equal(result.code, 0, "exit 0", { stderr: result.stderr });
  t.match(result.stdout, /^journal .*: 1 run, 121 records\n/, "the summary is printed");
  t.match(result.stdout, `\nHTML report: ${html}\ntrace (60 jobs): ${trace}\n`, "and where both files went");
  t.equal(statSync(html).mode & 0o777, 0o600, "the report is 0600");
  t.equal(statSync(trace).mode & 0o777, 0o600, "the trace is 0600");

  const browser = await openBrowser(t);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const url = pathToFileURL(html).href;
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (request) => request.url() !== url && requests.push(request.url()));
  await page.route(
    (target) => target.href !== url,
    (route) => route.abort(),
  );
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  await page.goto(url);
  const stream = page.locator('[data-testid="task-stream"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="task-stream"]')?.getAttribute("data-lanes"));

  t.same(requests, [], "no request beyond the file itself");
  t.same(errors, [], "no error in the console");
  t.same((await stream.getAttribute("data-lanes"))!.split(" ").map(Number), pids, "one lane per worker the journal names, in pid order");
  t.same(
    await page.locator('[data-testid="worker-row"]').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute("data-pid")))),
    pids,
    "the workers table lists them",
  );

  // Both functions' bars are on the canvas, in the colours their rows' swatches show.
  const drawn = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="task-stream"]')!;
    const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    const colourOf = (fn: string) => {
      const swatch = document.querySelector(`[data-testid="fn-row"][data-fn="${fn}"] .swatch`)!;
      return getComputedStyle(swatch).backgroundColor.match(/\d+/g)!.slice(0, 3).map(Number);
    };
    const count = ([r, g, b]: number[]) => {
      let n = 0;
      for (let i = 0; i < pixels.length; i += 4)
        if (pixels[i + 3]! > 200 && Math.abs(pixels[i]! - r!) < 4 && Math.abs(pixels[i + 1]! - g!) < 4 && Math.abs(pixels[i + 2]! - b!) < 4)
          n++;
      return n;
    };
    return { square: count(colourOf("square")), nap: count(colourOf("nap")) };
  });
  t.ok(drawn.square > 0 && drawn.nap > 0, `the bars of both functions are drawn (${drawn.square} and ${drawn.nap} pixels)`);

  t.same(
    await page
      .locator('[data-testid="fn-row"]')
      .evaluateAll((rows) =>
        rows.map((row) => [
          row.getAttribute("data-fn"),
          row.querySelector('[data-testid="fn-processed"]')!.textContent,
          row.querySelector('[data-testid="fn-failed"]')!.textContent,
        ]),
      ),
    [
      ["square", "34", "6"],
      ["nap", "20", "0"],
    ],
    "the summary table's counts",
  );

  const failures = page.locator('[data-testid="failure"]');
  t.equal(await failures.count(), 6, "the six failures are listed");
  t.match(await failures.first().textContent(), /RangeError: square: \d+ is unlucky/, "with their error");
  t.match(
    await failures.first().locator('[data-testid="stack"]').textContent(),
    new RegExp(`journal-report\\.ts:${THROW_LINE}:\\d+`),
    "and a stack naming the fixture's line",
  );
});

/**
 * The dashboard's server as a browser and Prometheus meet it, on a real run: the token (401 without
 * it, a cookie after `?token=`, actions only with it in a header), the live updates (workers,
 * progress, a failure's stack in the script's own file, the store), a cancel that ends a running
 * job Cancelled, /metrics in Prometheus's format, `--metrics` alone, bad addresses, and a second
 * user of the machine who cannot find the token or get in without it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import t from "tap";
import { fixture, lastJson, onPath, processesGone, strmbrkr } from "./lib/cli.js";
import { dashboardOf, fetchText, openEvents } from "./lib/dashboard.js";
import { launch } from "./lib/remote.js";

const RUN = fixture("dashboard-run.ts");
/** The line of the fixture that throws: a failure's stack must name it. */
const THROW_LINE =
  readFileSync(RUN, "utf8")
    .split("\n")
    .findIndex((line) => line.includes("throw new RangeError")) + 1;
const JOBS = 200;

t.test("a run's dashboard: token, live updates, a failure's stack, the store, cancel, /metrics", { timeout: 120_000 }, async (t) => {
  const run = launch(t, ["run", RUN, "--dashboard", "--metrics", "--workers", "2", "--no-progress", "--", String(JOBS), "hold", "10"], {
    timeoutMs: 110_000,
  });
  const dashboard = await dashboardOf(run);
  t.match(dashboard.base, /^http:\/\/127\.0\.0\.1:\d+$/, "--dashboard alone binds loopback, a free port");

  for (const path of ["/", "/events", "/api/state", "/metrics", "/app.js"]) {
    const answer = await fetchText(`${dashboard.base}${path}`);
    t.equal(answer.status, 401, `GET ${path} without the token: 401`);
  }
  t.equal((await fetchText(`${dashboard.base}/api/state?token=${dashboard.token}x`)).status, 401, "a wrong token: 401");
  t.equal((await fetchText(`${dashboard.base}/api/stop`, { method: "POST" })).status, 401, "POST /api/stop without the token: 401");

  const entry = await fetchText(dashboard.url);
  t.equal(entry.status, 303, "?token= redirects…");
  t.equal(entry.headers.location, "./", "…to the page without the token in the address");
  const setCookie = String(entry.headers["set-cookie"]);
  t.match(setCookie, /HttpOnly/, "the cookie is HttpOnly");
  t.match(setCookie, /SameSite=Strict/, "and SameSite=Strict");
  const cookie = setCookie.split(";")[0]!;
  const page = await fetchText(`${dashboard.base}/`, { headers: { cookie } });
  t.equal(page.status, 200, "the cookie opens the page");
  t.match(page.body, `content="${dashboard.token}"`, "the page carries its token for its actions");
  t.match(page.headers["content-security-policy"], /default-src 'self'/, "and loads nothing from elsewhere");
  const stopWithCookie = await fetchText(`${dashboard.base}/api/stop`, { method: "POST", headers: { cookie } });
  t.equal(stopWithCookie.status, 403, "an action with the cookie alone (what another site's form could send) is refused");

  const events = await openEvents(dashboard);
  t.teardown(() => events.close());
  const first = await events.next();
  t.ok(first.bounds && first.bounds.length > 50, "the first update holds the histogram bounds");
  t.equal(first.run.state, "running");
  t.match(first.run.script, /dashboard-run\.ts$/);

  // The long job runs on one worker: the page shows which, and cancels it from there.
  const holding = await events.next((update) => update.workers.some((worker) => worker.job?.fn === "hold"));
  t.equal(holding.workers.length, 2, "both workers are listed");
  for (const worker of holding.workers) {
    t.equal(worker.machine, "local");
    t.ok(worker.pid > 0, `worker ${worker.id} has a pid`);
  }
  const held = holding.workers.find((worker) => worker.job?.fn === "hold")!;
  t.equal(held.state, "busy");

  const progressed = await events.next((update) => update.totals.done + update.totals.failed >= JOBS - 5);
  t.ok(progressed.totals.done + progressed.totals.failed > first.totals.done + first.totals.failed, "the progress advances");
  const squares = progressed.functions.find((fn) => fn.fn === "square")!;
  t.equal(squares.queued, JOBS, "per function: every square queued");
  t.ok(squares.failed > 0, "per function: the failures counted");
  t.ok(progressed.slices.length > 0 || events.updates.some((update) => update.slices.length > 0), "the task stream has jobs");
  t.ok(
    events.updates.flatMap((update) => update.slices).some((slice) => !slice.ok),
    "the task stream marks failed jobs",
  );
  const failure = progressed.failures.find((one) => one.fn === "square")!;
  t.equal(failure.name, "RangeError");
  t.match(failure.message, /is unlucky/);
  t.match(failure.stack, new RegExp(`dashboard-run\\.ts:${THROW_LINE}:\\d+`), "the failure's stack names the script's own file and line");
  t.match(failure.args, /^\[\d+,10\]$/, "and the job's arguments");

  const withStore = await events.next((update) => update.store !== undefined);
  const setting = withStore.store!.entries.find((entry) => entry.key === "settings");
  t.same({ type: setting?.type, size: setting?.size }, { type: "hash", size: 2 }, "the store's key, its type and size");
  t.match(setting?.preview, /dashboard test/, "and a preview of its value");

  const metrics = await fetchText(`${dashboard.base}/metrics`, { headers: { authorization: `Bearer ${dashboard.token}` } });
  t.equal(metrics.status, 200);
  t.match(metrics.headers["content-type"], /^text\/plain/);
  t.match(metrics.body, /^strmbrkr_jobs_ended_total\{function="square",status="processed"\} \d+$/m, "job counts by function and status");
  t.match(metrics.body, /^strmbrkr_job_duration_seconds_bucket\{le="\+Inf",function="square"\} \d+$/m, "a duration histogram");
  t.match(metrics.body, /^strmbrkr_workers\{state="busy",location="local"\} \d+$/m, "workers by state and location");
  t.match(metrics.body, /^strmbrkr_resident_memory_bytes\{process="hub"\} \d+$/m, "the hub's memory");

  const badCancel = await fetchText(`${dashboard.base}/api/cancel`, {
    method: "POST",
    headers: { "x-strmbrkr-token": dashboard.token },
    body: '{"id": "not a job; rm -rf"}',
  });
  t.equal(badCancel.status, 400, "a cancel of something that is no job id: 400…");
  t.match(JSON.parse(badCancel.body).error, /is not a job id/, "…saying so");
  const cancel = await fetchText(`${dashboard.base}/api/cancel`, {
    method: "POST",
    headers: { "x-strmbrkr-token": dashboard.token },
    body: JSON.stringify({ id: held.job!.id }),
  });
  t.equal(cancel.status, 200, "the running job's cancel is taken");

  const last = await events.next((update) => update.run.state === "stopped");
  const result = await run.done;
  t.equal(result.code, 0, "the run ends by itself once the long job is cancelled");
  const printed = lastJson(result.stdout);
  t.same(printed.hold, { status: "failed", error: "Cancelled" }, "the cancelled job ended Cancelled");
  t.same(
    { done: last.totals.done, failed: last.totals.failed, queued: last.totals.queued },
    { done: printed.processed, failed: printed.failed + 1, queued: JOBS + 1 },
    "the last update's counts are the run's",
  );
  t.same(await processesGone(run.instanceId), [], "no process of the run is left");
});

t.test("--metrics alone: /metrics with the token, nothing else", { timeout: 60_000 }, async (t) => {
  const run = launch(t, ["run", RUN, "--metrics", "0", "--workers", "1", "--no-progress", "--", "20"], {
    env: { STRMBRKR_SHUTDOWN_GRACE: "0" },
    timeoutMs: 50_000,
  });
  const [, base, token] = await run.waitFor(/metrics on (http:\/\/[^/\s]+)\/metrics \(token: ([\w-]+)/, "stderr");
  t.equal((await fetchText(`${base}/metrics`)).status, 401, "no token: 401");
  const metrics = await fetchText(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(metrics.status, 200, "Bearer token: 200");
  t.match(metrics.body, /# TYPE strmbrkr_job_duration_seconds histogram/);
  t.equal((await fetchText(`${base}/?token=${token}`)).status, 404, "no page without --dashboard");
  // The long job holds the run: stop it as Ctrl-C would.
  run.child.kill("SIGINT");
  const result = await run.done;
  t.equal(result.code, 130, "Ctrl-C's exit code");
});

t.test("with pipeline reports on, the page sums them up", { timeout: 60_000 }, async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), "strmbrkr-dashboard-pipeline-"));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const run = launch(t, ["run", RUN, "--dashboard", "--workers", "2", "--no-progress", "--", "20"], {
    env: { STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS: "true", STRMBRKR_SHUTDOWN_GRACE: "0" },
    cwd,
    timeoutMs: 50_000,
  });
  const events = await openEvents(await dashboardOf(run));
  t.teardown(() => events.close());
  const update = await events.next((one) => one.totals.done + one.totals.failed === 20);
  t.match(update.pipeline, /^20 reports written to \.strmbrkr_pipelines\/$/m, "how many reports");
  t.match(update.pipeline, /^started→processed: [\d.]+ ms on average \(20 jobs\)$/m, "and where the time went");
  run.child.kill("SIGINT");
  t.equal((await run.done).code, 130);
});

t.test("strmbrkr map takes --dashboard too", { timeout: 60_000 }, async (t) => {
  const result = await strmbrkr(
    ["map", fixture("map-fns.ts"), "square", "--input", "-", "--dashboard", "--workers", "1", "--no-progress"],
    {
      stdin: "1\n2\n3\n",
      timeoutMs: 50_000,
    },
  );
  t.equal(result.code, 0);
  t.same(result.stdout.trim().split("\n").map(Number).sort(), [1, 4, 9], "the map's output");
  t.match(result.stderr, /^strmbrkr: dashboard on http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/m, "the dashboard's address");
  t.same(await processesGone(result.instanceId), [], "nothing left");
});

t.test("STRMBRKR_DASHBOARD beyond loopback: the machine's name in the address, and a warning", { timeout: 60_000 }, async (t) => {
  const run = launch(t, ["run", RUN, "--workers", "1", "--no-progress", "--", "5", "no-hold"], {
    env: { STRMBRKR_DASHBOARD: "0.0.0.0:0" },
    timeoutMs: 50_000,
  });
  await run.waitFor(/dashboard on http:\/\/[^/]+\/\?token=/, "stderr");
  const result = await run.done;
  t.equal(result.code, 0);
  t.match(result.stderr, `strmbrkr: dashboard on http://${hostname()}:`, "the address names this machine");
  t.match(result.stderr, /^strmbrkr: WARNING: the dashboard listens on 0\.0\.0\.0, beyond this machine: .*plain HTTP/m, "and warns");
});

t.test("bad addresses: one line naming the flag", { timeout: 60_000 }, async (t) => {
  const bad = await strmbrkr(["run", RUN, "--dashboard", "localhost:http", "--no-progress"]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^strmbrkr: --dashboard \(STRMBRKR_DASHBOARD\): "localhost:http" is not \[HOST:\]PORT/m);
  t.equal(bad.stderr.trim().split("\n").length, 1, "one line");

  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  t.teardown(() => void taken.close());
  const port = (taken.address() as { port: number }).port;
  const busy = await strmbrkr(["run", RUN, "--dashboard", `127.0.0.1:${port}`, "--no-progress"], { timeoutMs: 50_000 });
  t.equal(busy.code, 1);
  t.match(busy.stderr, `strmbrkr: --dashboard: cannot listen on 127.0.0.1:${port}: the port is in use`);
  t.same(await processesGone(busy.instanceId), [], "nothing of the run is left");
});

const secondUser =
  process.getuid?.() !== 0
    ? "needs root, to create a second user"
    : !["useradd", "userdel", "setpriv"].every(onPath)
      ? "needs useradd and setpriv"
      : false;

t.test("another user of the machine finds no token and gets nothing without it", { timeout: 90_000, skip: secondUser }, async (t) => {
  const name = `sbdash${process.pid % 100000}`;
  const made = spawnSync("useradd", ["-M", "-s", "/usr/sbin/nologin", name], { encoding: "utf8" });
  t.equal(made.status, 0, `useradd ${name}`);
  t.teardown(() => void spawnSync("userdel", [name]));
  const uid = Number(spawnSync("id", ["-u", name], { encoding: "utf8" }).stdout);
  const run = launch(t, ["run", RUN, "--dashboard", "--workers", "1", "--no-progress", "--", "20"], {
    env: { STRMBRKR_DASHBOARD_TOKEN: "fixed-token-for-the-second-user-test", STRMBRKR_SHUTDOWN_GRACE: "0" },
    timeoutMs: 80_000,
  });
  const dashboard = await dashboardOf(run);
  // What the other user can read of the run's processes: their command lines, not their environment.
  const pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  const probe = `
    const fs = require("fs");
    const found = [];
    for (const pid of ${JSON.stringify(pids)}) for (const file of ["cmdline", "environ"]) {
      try { if (fs.readFileSync("/proc/" + pid + "/" + file, "latin1").includes(process.argv[1])) found.push(pid + "/" + file); } catch {}
    }
    const http = require("http");
    const get = (path, method = "GET") => new Promise((resolve) => {
      const call = http.request(process.argv[2] + path, { method }, (res) => { res.resume(); resolve(res.statusCode); });
      call.on("error", (e) => resolve(e.code)); call.end();
    });
    (async () => console.log(JSON.stringify({ found, page: await get("/"), events: await get("/events"), metrics: await get("/metrics"), stop: await get("/api/stop", "POST") })))();
  `;
  const other = spawnSync(
    "setpriv",
    [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--", process.execPath, "-e", probe, dashboard.token, dashboard.base],
    {
      encoding: "utf8",
      cwd: "/",
      env: { PATH: process.env.PATH },
    },
  );
  // Its exit status is tap's: the test runner's hooks, which Node carries into children, cannot write their notes as that user.
  const seen = JSON.parse(other.stdout) as Record<string, unknown>;
  t.same(seen.found, [], "the token is in no command line or environment the other user can read");
  t.same(
    { page: seen.page, events: seen.events, metrics: seen.metrics, stop: seen.stop },
    { page: 401, events: 401, metrics: 401, stop: 401 },
    "every door answers 401",
  );
  const state = await fetchText(`${dashboard.base}/api/state`, { headers: { authorization: `Bearer ${dashboard.token}` } });
  t.equal(JSON.parse(state.body).run.state, "running", "the run goes on, untouched");
  run.child.kill("SIGINT");
  t.equal((await run.done).code, 130);
});

/**
 * STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS: when true, each finished job's pipeline report is
 * written to .strmbrkr_pipelines/<job id>.json in the host's working directory, private (folder
 * 0700, files 0600); otherwise nothing is written. A symlink at that name is not followed.
 */
import t from "tap";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { runFixture, scratchDir } from "./lib/kvs-helpers.js";

const FLAG = "STRMBRKR_KVS_DUMP_PIPELINE_STATUS_REPORTS";
const STAGES = ["queued", "delegated", "started", "processed", "returned"] as const;
const JOBS = 5;

t.test("with the flag true: one report per job, stages in order", async (t) => {
  const cwd = scratchDir(t);
  const { summary } = await runFixture(t, "kvs-pipeline.ts", { cwd, workers: 2, args: [String(JOBS)], env: { [FLAG]: "true" } });
  const jobs: { id: string; status: string; pipeline: Record<string, number> }[] = summary.jobs ?? [];
  t.equal(jobs.length, JOBS, `${JOBS} jobs ran`);
  t.same(
    jobs.map((job) => job.status),
    [...Array(JOBS - 1).fill("processed"), "failed"],
    "all processed but the last, which threw",
  );

  const dir = join(cwd, ".strmbrkr_pipelines");
  t.ok(existsSync(dir), ".strmbrkr_pipelines was made in the host's cwd");
  const files = existsSync(dir) ? readdirSync(dir).sort() : [];
  t.same(files, jobs.map((job) => `${job.id}.json`).sort(), "one <job id>.json per job, nothing else");
  t.equal(existsSync(dir) && statSync(dir).mode & 0o777, 0o700, "the folder is private (0700)");
  t.same(
    files.map((file) => statSync(join(dir, file)).mode & 0o777).filter((mode) => mode !== 0o600),
    [],
    "and so is every report (0600)",
  );

  for (const job of jobs) {
    let report: Record<string, unknown> = {};
    try {
      report = JSON.parse(readFileSync(join(dir, `${job.id}.json`), "utf8"));
    } catch (error) {
      t.fail(`the report of job ${job.id} is readable JSON: ${(error as Error).message}`);
      continue;
    }
    t.equal(report.id, job.id, `job ${job.id}: the report names the job`);
    t.equal(report.fn, "pipelineJob", `job ${job.id}: and its function`);
    t.equal(report.status, job.status, `job ${job.id}: and its status (${job.status})`);
    const times = STAGES.map((stage) => report[stage]);
    t.ok(
      times.every((time) => typeof time === "number" && Number.isFinite(time)),
      `job ${job.id}: every stage has a time`,
      { report },
    );
    const ordered = times.every((time, i) => i === 0 || (times[i - 1] as number) <= (time as number));
    t.ok(ordered, `job ${job.id}: queued ≤ delegated ≤ started ≤ processed ≤ returned`, { report });
    t.same(
      Object.fromEntries(STAGES.map((stage) => [stage, report[stage]])),
      Object.fromEntries(STAGES.map((stage) => [stage, job.pipeline[stage]])),
      `job ${job.id}: the same times as job.pipeline in main`,
    );
  }
});

t.test("with the flag unset: no .strmbrkr_pipelines folder", async (t) => {
  const cwd = scratchDir(t);
  const { summary } = await runFixture(t, "kvs-pipeline.ts", { cwd, workers: 2, args: [String(JOBS)], env: { [FLAG]: undefined } });
  t.equal(summary.jobs?.length, JOBS, "the jobs ran");
  t.notOk(existsSync(join(cwd, ".strmbrkr_pipelines")), "no folder was made");
  t.same(readdirSync(cwd), [], "nothing at all was written in the cwd");
});

t.test("with the flag false: no .strmbrkr_pipelines folder", async (t) => {
  const cwd = scratchDir(t);
  const { summary } = await runFixture(t, "kvs-pipeline.ts", { cwd, workers: 2, args: [String(JOBS)], env: { [FLAG]: "false" } });
  t.equal(summary.jobs?.length, JOBS, "the jobs ran");
  t.notOk(existsSync(join(cwd, ".strmbrkr_pipelines")), "no folder was made");
});

t.test("a symlink at .strmbrkr_pipelines (planted in a shared working directory) is not followed", async (t) => {
  const cwd = scratchDir(t);
  const elsewhere = join(cwd, "elsewhere");
  mkdirSync(elsewhere);
  symlinkSync(elsewhere, join(cwd, ".strmbrkr_pipelines"));
  const { result, summary } = await runFixture(t, "kvs-pipeline.ts", { cwd, workers: 2, args: [String(JOBS)], env: { [FLAG]: "true" } });
  t.equal(summary.jobs?.length, JOBS, "the jobs ran");
  t.same(readdirSync(elsewhere), [], "no report was written where the symlink points");
  t.match(result.stderr, /is not a folder of yours \(a symlink or a file\)/, "each report's failure is logged, naming the reason");
});

/**
 * A job that itself runs `strmbrkr run` gets an independent run: no run-internal variable reaches
 * the processes a job starts, so the inner run has its own broker, store and results.
 */
import t from "tap";
import { BIN, fixture, lastJson, processesGone, strmbrkr } from "./lib/cli.js";

t.test("a job that runs strmbrkr run gets a run of its own, which completes", async (t) => {
  const result = await strmbrkr(
    ["run", fixture("nested-outer.ts"), "--workers", "1", "--no-progress", "--", BIN, fixture("nested-inner.ts")],
    { timeoutMs: 100_000 },
  );
  t.equal(result.code, 0, "the outer run exits 0", { stderr: result.stderr });
  const outer = lastJson(result.stdout) as { status: string; inner: { code: number; stdout: string; stderr: string }; who: string };
  t.equal(outer.status, "processed", "the job that ran the inner run is processed");
  t.equal(outer.inner?.code, 0, "the inner run exits 0", { stderr: outer.inner?.stderr });
  t.same(
    lastJson(outer.inner?.stdout ?? ""),
    { values: [1, 4, 9], who: "inner", stored: 9 },
    "the inner run's jobs ran against its own store",
  );
  t.equal(outer.who, "outer", "and the outer run's store was never touched by it");
  t.same(await processesGone(result.instanceId), [], "no process of either run is left");
});

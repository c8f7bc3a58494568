/**
 * NODE_EXTRA_CA_CERTS (Node 20 parses its bundle as it boots): the hub, which runs none of the
 * script's code, boots without it, and every worker gets it back, so a job's TLS connections trust
 * what the user's do (runtime/transport/children.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import t from "tap";
import { mallocEnv } from "../runtime/transport/children.js";
import type { TapTest } from "./lib/scenario.js";
import { fixture, lastJson, processesGone, strmbrkr } from "./lib/cli.js";

const dir = mkdtempSync(join(tmpdir(), "strmbrkr-ca-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const bundle = join(dir, "extra-ca.pem");
writeFileSync(bundle, `${rootCertificates[0]}\n`);

t.test("the hub boots without the user's extra CA certificates; a worker and the store have them", { timeout: 60_000 }, async (t) => {
  const result = await strmbrkr(["run", fixture("child-env.ts"), "--workers", "1", "--no-progress"], {
    env: { NODE_EXTRA_CA_CERTS: bundle },
  });
  t.equal(result.code, 0, "the run succeeded", { stderr: result.stderr });
  const seen = lastJson(result.stdout);
  t.equal(seen.status, "processed", "the job ran");
  t.same(seen.main, { NODE_EXTRA_CA_CERTS: bundle, STRMBRKR_EXTRA_CA_CERTS: null }, "main's environment is the user's");
  t.same(seen.worker, { NODE_EXTRA_CA_CERTS: bundle, STRMBRKR_EXTRA_CA_CERTS: null }, "a job sees the user's environment");
  t.same(seen.hub, { NODE_EXTRA_CA_CERTS: null, STRMBRKR_EXTRA_CA_CERTS: bundle }, "the hub keeps it aside");
  t.same(seen.store, { NODE_EXTRA_CA_CERTS: bundle, STRMBRKR_EXTRA_CA_CERTS: null }, "the store (it imports the script) has the user's");
  t.notMatch(result.stderr, /STRMBRKR_EXTRA_CA_CERTS/, "no warning about the variable strmbrkr set itself");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("without extra CA certificates, no process of the run has either variable", { timeout: 60_000 }, async (t) => {
  const result = await strmbrkr(["run", fixture("child-env.ts"), "--workers", "1", "--no-progress"], {
    env: { NODE_EXTRA_CA_CERTS: undefined },
  });
  t.equal(result.code, 0, "the run succeeded", { stderr: result.stderr });
  const none = { NODE_EXTRA_CA_CERTS: null, STRMBRKR_EXTRA_CA_CERTS: null };
  const seen = lastJson(result.stdout);
  t.same([seen.main, seen.worker, seen.hub, seen.store], [none, none, none, none]);
  t.same(await processesGone(result.instanceId), [], "no process left");
});

// glibc's malloc settings (runtime/transport/children.ts): every forked process starts with them,
// after the user's own, and a job (and what it starts) sees the user's environment.
const OURS = "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=4194304:glibc.malloc.trim_threshold=8388608";
const TUNABLES = ["GLIBC_TUNABLES", "STRMBRKR_GLIBC_TUNABLES"];

/** What a process started with `expected` shows of it: glibc may have cut the value at a ':' as it parsed it. */
function startedWith(
  t: TapTest,
  seen: { GLIBC_TUNABLES: string | null; STRMBRKR_GLIBC_TUNABLES: string | null },
  expected: string,
  kept: string,
  what: string,
): void {
  const shown = seen.GLIBC_TUNABLES ?? "";
  t.ok(shown.length > 0 && `${expected}:`.startsWith(`${shown}:`), `${what} started with GLIBC_TUNABLES=${expected}`, { shown });
  t.equal(seen.STRMBRKR_GLIBC_TUNABLES, kept, `${what} kept the user's aside`);
}

t.test("the forked processes start with strmbrkr's malloc settings; a job sees none", { timeout: 60_000 }, async (t) => {
  const result = await strmbrkr(["run", fixture("child-env.ts"), "--workers", "1", "--no-progress", "--", ...TUNABLES], {
    env: { GLIBC_TUNABLES: undefined },
  });
  t.equal(result.code, 0, "the run succeeded", { stderr: result.stderr });
  const seen = lastJson(result.stdout);
  const none = { GLIBC_TUNABLES: null, STRMBRKR_GLIBC_TUNABLES: null };
  t.same(seen.main, none, "main's environment is the user's");
  t.same(seen.worker, none, "a job (and what it starts) sees the user's environment");
  for (const what of ["workerStarted", "hub", "store"]) startedWith(t, seen[what], OURS, "", what);
  t.notMatch(result.stderr, /STRMBRKR_GLIBC_TUNABLES/, "no warning about the variable strmbrkr set itself");
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test("the user's GLIBC_TUNABLES come first and win; a job sees just theirs", { timeout: 60_000 }, async (t) => {
  const user = "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0";
  const result = await strmbrkr(["run", fixture("child-env.ts"), "--workers", "1", "--no-progress", "--", ...TUNABLES], {
    env: { GLIBC_TUNABLES: user },
  });
  t.equal(result.code, 0, "the run succeeded", { stderr: result.stderr });
  const seen = lastJson(result.stdout);
  const users = { GLIBC_TUNABLES: user, STRMBRKR_GLIBC_TUNABLES: null };
  t.same(seen.main, users, "main's environment is the user's");
  t.same(seen.worker, users, "a job (and what it starts) sees the user's environment");
  const merged = `${user}:glibc.malloc.top_pad=4194304:glibc.malloc.trim_threshold=8388608`;
  for (const what of ["workerStarted", "hub", "store"]) startedWith(t, seen[what], merged, user, what);
  t.same(await processesGone(result.instanceId), [], "no process left");
});

t.test(
  "a forked process's settings: the user's first, then ours they do not name; from a process started with them, the kept ones",
  async (t) => {
    t.same(mallocEnv({}), { GLIBC_TUNABLES: OURS, STRMBRKR_GLIBC_TUNABLES: "" }, "none of the user's");
    t.same(
      mallocEnv({ GLIBC_TUNABLES: "glibc.malloc.top_pad=0" }),
      {
        GLIBC_TUNABLES: "glibc.malloc.top_pad=0:glibc.malloc.hugetlb=1:glibc.malloc.trim_threshold=8388608",
        STRMBRKR_GLIBC_TUNABLES: "glibc.malloc.top_pad=0",
      },
      "the user's top_pad wins",
    );
    // The hub forking workers: glibc cut its GLIBC_TUNABLES short; the user's were kept aside.
    t.same(
      mallocEnv({ GLIBC_TUNABLES: "glibc.malloc.hugetlb=1", STRMBRKR_GLIBC_TUNABLES: "" }),
      mallocEnv({}),
      "from the hub, user had none",
    );
    t.same(
      mallocEnv({ GLIBC_TUNABLES: "glibc.malloc.arena_max=2", STRMBRKR_GLIBC_TUNABLES: "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0" }),
      mallocEnv({ GLIBC_TUNABLES: "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0" }),
      "from the hub, the user's kept ones",
    );
  },
);

/**
 * The environment of a run's processes (runtime/transport/children.ts). NODE_EXTRA_CA_CERTS (Node
 * 20 parses its bundle as it boots): the hub, which runs none of the script's code, boots without
 * it, and every worker gets it back, so a job's TLS connections trust what the user's do. glibc's
 * malloc settings: every forked process starts with them, after the user's own, and a job (and
 * what it starts) sees the user's environment.
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

const CA = ["NODE_EXTRA_CA_CERTS", "STRMBRKR_EXTRA_CA_CERTS"];
const TUNABLES = ["GLIBC_TUNABLES", "STRMBRKR_GLIBC_TUNABLES"];
const OURS = "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=4194304:glibc.malloc.trim_threshold=8388608";

type Variables = Record<string, string | null>;
const only = (seen: Variables, names: string[]): Variables => Object.fromEntries(names.map((name) => [name, seen[name] ?? null]));

/** What each process of a run holds of both pairs of variables (test/fixtures/child-env.ts). */
async function environments(t: TapTest, env: NodeJS.ProcessEnv): Promise<{ seen: Record<string, Variables>; stderr: string }> {
  const result = await strmbrkr(["run", fixture("child-env.ts"), "--workers", "1", "--no-progress", "--", ...CA, ...TUNABLES], { env });
  t.equal(result.code, 0, "the run succeeded", { stderr: result.stderr });
  const seen = lastJson(result.stdout);
  t.equal(seen.status, "processed", "the job ran");
  t.same(await processesGone(result.instanceId), [], "no process left");
  return { seen, stderr: result.stderr };
}

/** A process started with `expected` shows it so, or cut short at a ':' (glibc may end the value where it parsed it). */
function startedWith(t: TapTest, seen: Variables, expected: string, kept: string, what: string): void {
  const shown = seen.GLIBC_TUNABLES ?? "";
  t.ok(shown.length > 0 && `${expected}:`.startsWith(`${shown}:`), `${what} started with GLIBC_TUNABLES=${expected}`, { shown });
  t.equal(seen.STRMBRKR_GLIBC_TUNABLES, kept, `${what} kept the user's aside`);
}

t.test("with the user's extra CA certificates and malloc settings", { timeout: 60_000 }, async (t) => {
  const user = "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0";
  const { seen, stderr } = await environments(t, { NODE_EXTRA_CA_CERTS: bundle, GLIBC_TUNABLES: user });
  const usersCa = { NODE_EXTRA_CA_CERTS: bundle, STRMBRKR_EXTRA_CA_CERTS: null };
  t.same(only(seen.main!, CA), usersCa, "main's environment is the user's");
  t.same(only(seen.worker!, CA), usersCa, "a job sees the user's environment");
  t.same(
    only(seen.hub!, CA),
    { NODE_EXTRA_CA_CERTS: null, STRMBRKR_EXTRA_CA_CERTS: bundle },
    "the hub boots without the CA certificates and keeps them aside",
  );
  t.same(only(seen.store!, CA), usersCa, "the store (it imports the script) has the user's");

  const usersTunables = { GLIBC_TUNABLES: user, STRMBRKR_GLIBC_TUNABLES: null };
  t.same(only(seen.main!, TUNABLES), usersTunables, "main's malloc settings are the user's");
  t.same(only(seen.worker!, TUNABLES), usersTunables, "a job (and what it starts) sees just the user's");
  const merged = `${user}:glibc.malloc.top_pad=4194304:glibc.malloc.trim_threshold=8388608`;
  for (const what of ["workerStarted", "hub", "store"]) startedWith(t, seen[what]!, merged, user, what);
  t.notMatch(stderr, /STRMBRKR_(EXTRA_CA_CERTS|GLIBC_TUNABLES)/, "no warning about the variables strmbrkr set itself");
});

t.test("without either, the forked processes start with strmbrkr's malloc settings alone", { timeout: 60_000 }, async (t) => {
  const { seen } = await environments(t, { NODE_EXTRA_CA_CERTS: undefined, GLIBC_TUNABLES: undefined });
  const noCa = { NODE_EXTRA_CA_CERTS: null, STRMBRKR_EXTRA_CA_CERTS: null };
  t.same(
    [seen.main, seen.worker, seen.hub, seen.store].map((each) => only(each!, CA)),
    [noCa, noCa, noCa, noCa],
    "no process has either CA variable",
  );
  const none = { GLIBC_TUNABLES: null, STRMBRKR_GLIBC_TUNABLES: null };
  t.same(only(seen.main!, TUNABLES), none, "main's environment is the user's");
  t.same(only(seen.worker!, TUNABLES), none, "a job (and what it starts) sees the user's environment");
  for (const what of ["workerStarted", "hub", "store"]) startedWith(t, seen[what]!, OURS, "", what);
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

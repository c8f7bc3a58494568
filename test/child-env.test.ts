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

/**
 * Another user on the same machine attacks a run: every listening socket of the run (found from
 * /proc, as an intruder with `ss -lxtp` would) is tried with the store's, the broker's and the
 * workers' own frames. Nothing may answer and nothing may change: a run's sockets are unix sockets
 * in its 0700 run directory or CURVE-authenticated. Needs root (to make the throw-away user).
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { Back, Front } from "../runtime/wire/jobs.js";
import { PROTOCOL_VERSION } from "../runtime/wire/context.js";
import { ROOT, fixture, killInstance, lastJson, onPath, processesGone, strmbrkr, type RunResult } from "./lib/cli.js";
import { contextsOf, listenersOf, publicKeysIn } from "./lib/listeners.js";

const OWNER = fixture("second-user-owner.ts");
const ATTACKER = fixture("second-user-attacker.mjs");
const JOBS = 6;
const WORKERS = 2;
/** The ids an intruder would guess for the workers (`<pool>.<n>`); the test checks they are the real ones. */
const GUESSED_WORKER_IDS = ["1.1", "1.2"];
/** Each attempt's own deadline for an answer (the attacker's, not a wait for the run). */
const RECEIVE_MS = 400;

const missing = ["useradd", "userdel", "setpriv"].filter((command) => !onPath(command));
const skip = process.getuid?.() !== 0 ? "needs root, to create a second user" : missing.length > 0 ? `needs ${missing.join(", ")}` : false;

interface Attempt {
  socket: string;
  action: string;
  outcome: string;
}

/** Runs the attacker as `user` (no groups, no environment of ours) and collects what it tried. */
function attackAs(
  t: Test,
  user: { uid: number; gid: number },
  config: object,
): Promise<{ code: number | null; attempts: Attempt[]; stdout: string; stderr: string }> {
  // setpriv execs node: this pid is the attacker's.
  const child = spawn(
    "setpriv",
    [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--", process.execPath, ATTACKER, JSON.stringify(config)],
    {
      cwd: "/",
      env: { PATH: process.env.PATH, HOME: "/" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  t.teardown(() => void child.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve) => {
    child.on("close", (code) => {
      let attempts: Attempt[] = [];
      try {
        attempts = lastJson<Attempt[]>(stdout);
      } catch {
        // reported by the caller: no attempts
      }
      resolve({ code, attempts, stdout, stderr });
    });
  });
}

interface OwnerReport {
  results: { id: string; status: string; retval: unknown; error: string | null }[];
  store: Record<string, unknown>;
}

/**
 * Starts the owner's run with `flags`, lets `user` attack every listening socket it has while its
 * jobs are held and queued, then releases the run and checks that nothing the intruder did got an
 * answer or changed anything.
 */
async function attackRun(t: Test, user: { uid: number; gid: number; name: string }, flags: string[]): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "strmbrkr-second-user-"));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const secret = `s3cret-${randomBytes(12).toString("hex")}`;
  const marker = join(work, "planted-by-intruder");
  let instanceId = "";
  let stdout = "";
  let stderr = "";
  let sawReady!: (line: string) => void;
  const ready = new Promise<string>((resolve) => (sawReady = resolve));
  t.teardown(() => {
    killInstance(instanceId);
    for (const name of readdirSync(tmpdir()))
      if (instanceId && name.startsWith(`strmbrkr-${instanceId}-`)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  });
  const run = strmbrkr(
    ["run", OWNER, "--workers", String(WORKERS), "--no-progress", ...flags, "--", secret, work, String(JOBS), String(WORKERS)],
    {
      cwd: work,
      timeoutMs: 40_000,
      onSpawn: (child, id) => {
        instanceId = id;
        child.stdout!.on("data", (chunk) => {
          stdout += chunk;
          const line = /^ready (.*)$/m.exec(stdout)?.[1];
          if (line) sawReady(line);
        });
        child.stderr!.on("data", (chunk) => (stderr += chunk));
      },
    },
  );
  const first = await Promise.race([ready, run]);
  if (typeof first !== "string") {
    t.fail("the owner's run ended before it was ready", { stdout: first.stdout, stderr: first.stderr.slice(-3000) });
    return;
  }
  const { jobIds, workerIds } = JSON.parse(first) as { jobIds: string[]; workerIds: string[] };

  const targets = listenersOf(instanceId);
  const contexts = contextsOf(instanceId);
  t.same(workerIds, GUESSED_WORKER_IDS, "the workers' ids (each told by a job it runs) are the ones an intruder would guess");
  t.ok(
    targets.some((target) => target.unix?.endsWith("kvs-local.sock")),
    "the store's local socket is among the run's listening sockets",
  );
  t.ok(
    targets.some((target) => /\/worker-\d+\.sock$/.test(target.unix ?? "")),
    "a worker's socket for leased jobs is among the run's listening sockets",
  );
  // The key --listen prints, and any other public key of the run: a CURVE attempt against each.
  const serverKeys = [...publicKeysIn(contexts, new Set(/\(server key (\S{40})\)/.exec(stderr)?.slice(1)))];
  if (flags.includes("--listen")) {
    const gateway = /listening for remote workers on tcp:\/\/(\S+)/.exec(stderr)?.[1];
    t.ok(gateway && targets.some((target) => target.tcp === gateway), `the gateway ${gateway} is among the run's listening sockets`);
    t.equal(targets.filter((target) => target.tcp).length >= 4, true, "so are the other CURVE ports");
  }
  t.comment(
    `${serverKeys.length} CURVE server keys known to the intruder; ${targets.length} listening sockets:\n${targets.map((target) => `  ${target.label}`).join("\n")}`,
  );

  const attack = await attackAs(t, user, {
    root: ROOT,
    targets,
    serverKeys,
    jobIds,
    workerIds: GUESSED_WORKER_IDS,
    marker,
    frames: { Front, Back, PROTOCOL_VERSION },
    receiveMs: RECEIVE_MS,
    deadlineMs: 25_000,
  });
  t.equal(attack.code, 0, `the attacker (user ${user.name}) ran every attempt and ended by itself`, { stderr: attack.stderr.slice(-2000) });
  t.ok(attack.attempts.length >= targets.length, `${attack.attempts.length} attempts on ${targets.length} sockets`);
  // Forged results, cancels and submits get no answer even when they work: their effects are checked below.
  const through = attack.attempts.filter(({ outcome }) => !/^(refused|no answer \(never connected\))/.test(outcome));
  for (const { socket, action, outcome } of through) t.comment(`OPEN: ${socket}: ${action}: ${outcome.slice(0, 160)}`);
  t.equal(
    through.filter(({ outcome }) => outcome.startsWith("answered")).length,
    0,
    "no attempt got an answer (each OPEN line above is one that did or got through)",
  );
  t.equal(through.length, 0, "no attempt got a connection through: each was refused (EACCES, a failed CURVE handshake)");
  t.notOk(attack.stdout.includes(secret), "the intruder never saw the secret");

  // The owner still reaches its store, and nothing the intruder sent changed it.
  const owner = await strmbrkr(["kvs", "get", "db_password", "--instance", instanceId, "--timeout", "2000"]);
  t.equal(owner.stdout, `${JSON.stringify(secret)}\n`, "the store still serves the owner, the secret unchanged", { stderr: owner.stderr });

  writeFileSync(join(work, "release"), "");
  const result: RunResult = await run;
  t.equal(result.code, 0, "the owner's run finished normally", { stderr: result.stderr.slice(-3000) });
  const report = lastJson<OwnerReport>(result.stdout);
  const byId = new Map(report.results.map((job) => [job.id, job]));
  t.same(
    jobIds.map((id) => byId.get(id)),
    jobIds.map((id, n) => ({ id, status: "processed", retval: n * n, error: null })),
    "every job ran once and main got its real result: none forged, none cancelled",
  );
  t.same(report.store, { db_password: secret, started: JOBS }, "the store holds what main and the jobs put there, and only that");
  t.notOk(existsSync(marker), "the intruder's job never ran");
  t.same(
    readdirSync(work)
      .filter((name) => !name.startsWith("worker-"))
      .sort(),
    ["release"],
    "no dump file appeared in the owner's directory (beside the jobs' notes of their workers)",
  );
  t.same(await processesGone(instanceId), [], "no process of the run is left");
}

t.test("another user on the machine can neither read, change, stop nor feed a run", { skip, timeout: 90_000 }, async (t) => {
  const name = `sbk${randomBytes(5).toString("hex")}`;
  const shell = existsSync("/usr/sbin/nologin") ? "/usr/sbin/nologin" : "/bin/false";
  const made = spawnSync("useradd", ["-M", "-s", shell, name], { encoding: "utf8" });
  if (made.status !== 0) {
    t.fail(`useradd ${name} failed`, { stderr: made.stderr });
    return;
  }
  t.teardown(() => void spawnSync("userdel", [name]));
  const id = (flag: string) => Number(spawnSync("id", [flag, name], { encoding: "utf8" }).stdout.trim());
  const user = { name, uid: id("-u"), gid: id("-g") };
  t.ok(user.uid > 0 && user.gid > 0, `throw-away user ${name} (uid ${user.uid})`);

  t.test("a default run (loopback TCP and unix sockets)", { timeout: 45_000 }, (t) => attackRun(t, user, []));

  t.test("a run with --listen and --authorized-keys (CURVE ports too)", { timeout: 45_000 }, async (t) => {
    const keys = mkdtempSync(join(tmpdir(), "strmbrkr-keys-"));
    t.teardown(() => rmSync(keys, { recursive: true, force: true }));
    const made = await strmbrkr(["keygen", join(keys, "worker")]);
    t.equal(made.code, 0, "strmbrkr keygen", { stderr: made.stderr });
    writeFileSync(join(keys, "authorized_keys"), readFileSync(join(keys, "worker.pub")));
    await attackRun(t, user, ["--listen", "tcp://127.0.0.1:0", "--authorized-keys", join(keys, "authorized_keys")]);
  });

  t.test("a run with --protocol ipc (every socket a file in the run directory)", { timeout: 45_000 }, (t) =>
    attackRun(t, user, ["--protocol", "ipc"]),
  );
});

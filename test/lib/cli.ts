import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { RUNTIME_ENV } from "../../runtime/wire/context.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = fileURLToPath(new URL("../../bin/strmbrkr.js", import.meta.url));
/** Whether `command` is on PATH (tests that need a system tool say so when it is missing). */
export const onPath = (command: string) => (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(join(dir, command)));
export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The instance id the run was given: every process of the run carries it in its environment. */
  instanceId: string;
}

export interface RunOptions {
  cwd?: string;
  /** Added to (or, for an undefined value, removed from) this process's environment. */
  env?: Record<string, string | undefined>;
  /** Kill the run (and fail) after this long. */
  timeoutMs?: number;
  /** Called once the process is spawned, e.g. to signal it. */
  onSpawn?: (child: ChildProcess, instanceId: string) => void;
  /** Written to the process's stdin, which is then closed (default: no stdin). */
  stdin?: string;
}

/** A fresh instance id, so a test can find every process of its run. */
export const newInstanceId = () => `t${randomBytes(5).toString("hex")}`;

/** Runs `strmbrkr <args>` as a user would and collects its output. */
export function strmbrkr(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runNode([BIN, ...args], options);
}

/**
 * Runs `node <args>` (e.g. a program using strmbrkr as a library) and collects its output, with a
 * fresh STRMBRKR_INSTANCE_ID unless `env` names one.
 */
export function runNode(args: string[], { cwd = ROOT, env = {}, timeoutMs = 60_000, onSpawn, stdin }: RunOptions = {}): Promise<RunResult> {
  const instanceId = env.STRMBRKR_INSTANCE_ID ?? newInstanceId();
  // The store's answers get 10 s, not the default 500 ms: CI machines are shared and busy, and a
  // test asserts what the store answers, not how fast. Tests of the timeout itself set their own.
  const childEnv: NodeJS.ProcessEnv = { STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT: "10000", ...process.env, STRMBRKR_INSTANCE_ID: instanceId };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  const child = spawn(process.execPath, args, { cwd, env: childEnv, stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  child.stdin?.end(stdin);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  onSpawn?.(child, instanceId);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killInstance(instanceId);
      reject(new Error(`node ${args.join(" ")} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, instanceId });
    });
  });
}

/** Pids of live processes whose environment names `instanceId` (the run and all its children). */
export function processesOf(instanceId: string): number[] {
  return [...environsOf(instanceId).keys()];
}

/**
 * The environment (NUL-separated, as in /proc) of every live process of a run, by pid. `skip`, when
 * given, holds pids known not to be of the run: they are not read again, and the pids this process
 * sees not to be of the run are added to it (see watchProcesses).
 */
function environsOf(instanceId: string, skip?: Set<number>): Map<number, string> {
  const needle = `STRMBRKR_INSTANCE_ID=${instanceId}\0`;
  const environs = new Map<number, string>();
  const live = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    live.add(pid);
    if (skip?.has(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (/\) Z /.test(stat)) continue; // a zombie is already dead
      const environ = readFileSync(`/proc/${entry}/environ`, "latin1");
      if (environ.includes(needle)) environs.set(pid, environ);
      // A child of this process may not have exec'd into the run yet; any other process joins a run
      // only as the fork of one of its processes, and so carries its id from birth.
      else if (skip && Number(/\) \S+ (\d+)/.exec(stat)?.[1]) !== process.pid) skip.add(pid);
    } catch (error) {
      // Gone while we looked (ENOENT); or no environment to read (a kernel thread: ESRCH) or not
      // ours to read (EACCES): never a process of a run.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") skip?.add(pid);
    }
  }
  if (skip) for (const pid of skip) if (!live.has(pid)) skip.delete(pid); // a pid used again is a new process
  return environs;
}

/** Resolves with the pids still alive after `deadlineMs` of polling (empty when all are gone). */
export async function processesGone(instanceId: string, deadlineMs = 5_000): Promise<number[]> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const left = processesOf(instanceId);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A process seen by `watchProcesses`: its pid and its command line as last seen (arguments joined by spaces). */
export interface SeenProcess {
  pid: number;
  command: string;
  /**
   * A hub `strmbrkr run` forked before it read its arguments (bin/strmbrkr.js), or a worker that hub forked on its
   * guess (runtime/hub/main.ts): no context in its environment.
   */
  early: boolean;
}

const TRACE = new URL("./process-trace.mjs", import.meta.url).href;
const EARLY = /runtime\/(hub|worker)\/main\.js/;

/** The pids of `pid`'s descendants that its main thread (or theirs) forked, as /proc shows them now. */
function descendantsOf(pid: number, into: number[] = []): number[] {
  let children: string;
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "latin1");
  } catch {
    return into; // gone
  }
  for (const child of children.split(" ")) {
    if (child === "") continue;
    into.push(Number(child));
    descendantsOf(Number(child), into);
  }
  return into;
}

/**
 * Watches the processes of a run until `stop()`, which returns every process seen meanwhile: e.g. to
 * show that a run that fails early never started its broker, KVS or workers. Three ways, each cheap
 * (a poll of all of /proc every 10 ms cost a test process ~90 ms of CPU a second): every node
 * process of the run notes itself as it starts (test/lib/process-trace.mjs, preloaded through
 * NODE_OPTIONS: pass `env` to the run); the descendants of the process given to `root()` are read
 * every `intervalMs` (a fork killed before its JavaScript ran still shows); all of /proc is
 * scanned every 100 ms for any other process of the run. A process's command is the last
 * non-empty one seen, so a fork seen before its exec still shows what it became.
 */
export function watchProcesses(
  instanceId: string,
  intervalMs = 10,
): { env: Record<string, string>; root(pid: number): void; stop(): SeenProcess[] } {
  const seen = new Map<number, SeenProcess>();
  const traced = new Set<number>();
  const log = join(tmpdir(), `strmbrkr-watch-${instanceId}-${randomBytes(4).toString("hex")}.log`);
  const options = [process.env.NODE_OPTIONS, `--import=${TRACE}`].filter(Boolean).join(" ");
  const readLog = () => {
    let text: string;
    try {
      text = readFileSync(log, "utf8");
    } catch {
      return; // no node process of the run started yet
    }
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const { pid, command, context } = JSON.parse(line) as { pid: number; command: string; context: boolean };
      traced.add(pid);
      seen.set(pid, { pid, command, early: EARLY.test(command) && !context });
    }
  };
  const note = (pid: number, environ: string) => {
    if (traced.has(pid)) return; // it said what it is
    let command = "";
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      // gone while we looked
    }
    // An exiting process shows an empty command line: keep what it was.
    if (command === "" && seen.has(pid)) return;
    // Classified from the environment that matched, read once: a second read can fail as it exits.
    const early = EARLY.test(command) && !`\0${environ}`.includes(`\0${RUNTIME_ENV}=`);
    seen.set(pid, { pid, command, early });
  };
  // Looks at each process of the machine once, not at every scan.
  const others = new Set<number>();
  const scan = () => {
    for (const [pid, environ] of environsOf(instanceId, others)) note(pid, environ);
  };
  const needle = `STRMBRKR_INSTANCE_ID=${instanceId}\0`;
  let rootPid: number | undefined;
  const walk = () => {
    if (rootPid === undefined) return;
    readLog(); // a node process that has said what it is needs no more looks
    for (const pid of descendantsOf(rootPid)) {
      if (traced.has(pid)) continue;
      try {
        const environ = readFileSync(`/proc/${pid}/environ`, "latin1");
        if (environ.includes(needle)) note(pid, environ);
      } catch {
        // gone while we looked
      }
    }
  };
  scan();
  const walker = setInterval(walk, intervalMs);
  const scanner = setInterval(scan, 100);
  return {
    env: { NODE_OPTIONS: options, TEST_PROCESS_TRACE: log },
    root(pid) {
      rootPid = pid;
      walk();
    },
    stop() {
      clearInterval(walker);
      clearInterval(scanner);
      walk();
      scan();
      readLog();
      rmSync(log, { force: true });
      return [...seen.values()];
    },
  };
}

/**
 * Runs `strmbrkr <args>` and also reports the processes the run started besides the CLI itself,
 * esbuild's service (which bundling starts) and the hub `strmbrkr run` forks before it reads its
 * arguments, with the workers it forks on its guess (they get their configuration over IPC, so a
 * usage error never starts them: they exit with the CLI, which `processesGone` shows): its broker,
 * key-value store and workers.
 */
export async function strmbrkrWatched(args: string[], options: RunOptions = {}): Promise<RunResult & { started: SeenProcess[] }> {
  const instanceId = options.env?.STRMBRKR_INSTANCE_ID ?? newInstanceId();
  const watch = watchProcesses(instanceId);
  let cliPid: number | undefined;
  const result = await strmbrkr(args, {
    ...options,
    env: { ...options.env, ...watch.env, STRMBRKR_INSTANCE_ID: instanceId },
    onSpawn: (child, instanceId) => {
      cliPid = child.pid;
      if (cliPid !== undefined) watch.root(cliPid);
      options.onSpawn?.(child, instanceId);
    },
  });
  // A fork seen only before its exec (then gone: e.g. the early hub, killed as the CLI exits) still
  // shows the CLI's command line: it never ran as anything else.
  const cliCommand = [process.execPath, BIN, ...args].join(" ").trim();
  const started = watch
    .stop()
    .filter(({ pid, command, early }) => pid !== cliPid && !early && command !== cliCommand && !/\besbuild --service\b/.test(command));
  return { ...result, started };
}

/** SIGKILL every process of a run, all stopped first: a machine that vanishes (and last-resort cleanup). */
export function killInstance(instanceId: string): void {
  // All stopped first, as a machine that vanishes would: killed one by one, a process could see
  // another die and act on it (a hub whose host is gone says goodbye to its remote workers).
  const stopped = new Set<number>();
  for (let found = processesOf(instanceId); found.length > 0; found = processesOf(instanceId).filter((pid) => !stopped.has(pid))) {
    for (const pid of found) {
      signal(pid, "SIGSTOP");
      stopped.add(pid);
    }
  }
  for (const pid of stopped) signal(pid, "SIGKILL");
  // Nothing is left to remove the run's directory (the hub does when only its host vanished): the test does.
  for (const name of readdirSync(tmpdir()))
    if (name.startsWith(`strmbrkr-${instanceId}-`)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** The JSON a fixture's main printed on its last stdout line. */
export function lastJson<T = any>(stdout: string): T {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/**
 * The run's socket files: with --protocol ipc the zeromq ones live in its private run directory,
 * beside the unix sockets of the local transport (`frontend-local`, `backend-local`, `kvs-local`:
 * unix:// paths).
 */
export function endpointsOf(instanceId: string): Record<string, string> | undefined {
  const dir = readdirSync(tmpdir()).find((name) => name.startsWith(`strmbrkr-${instanceId}-`));
  if (!dir) return undefined;
  const files = readdirSync(join(tmpdir(), dir));
  const names = ["frontend", "backend", "kvs", "frontend-local", "backend-local", "kvs-local"];
  if (!names.every((name) => files.includes(`${name}.sock`))) return undefined;
  const scheme = (name: string) => (name.endsWith("-local") ? "unix://" : "ipc://");
  return Object.fromEntries(names.map((name) => [name, `${scheme(name)}${join(tmpdir(), dir, `${name}.sock`)}`]));
}

export interface ReliabilityRow {
  scenario: string;
  fault: string;
  queued: number;
  received: number;
  lost: number;
  duplicated: number;
  leftover: number;
}

/** One row of docs/reliability.md, printed as a TAP comment: `npm test | grep "reliability |"` collects them. */
export function reliabilityRow(t: { comment(...args: unknown[]): void }, row: ReliabilityRow): void {
  const { scenario, fault, queued, received, lost, duplicated, leftover } = row;
  t.comment(`reliability | ${scenario} | ${fault} | ${queued} | ${received} | ${lost} | ${duplicated} | ${leftover} |`);
}

/** Pids of a run's processes whose command line runs `entry` (e.g. "runtime/worker/main.js", "runtime/hub/main.js"). */
export function processesRunning(instanceId: string, entry: string): number[] {
  return processesOf(instanceId).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(entry);
    } catch {
      return false; // gone while we looked
    }
  });
}

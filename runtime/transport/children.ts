import { fork, type ChildProcess } from "node:child_process";
import { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { RUNTIME_ENV, type AwaitingContextMessage, type ContextMessage, type RuntimeContext } from "../wire/context.js";

/** How long a child gets to exit after SIGTERM before it is killed. */
export const KILL_AFTER_MS = 3_000;

/** One of the runtime's process entries, and whether it imports the job script's bundle (a worker, the store) or not (the hub). */
export interface Entry {
  url: URL;
  loadsScript: boolean;
}

/**
 * Forks one of the runtime's process entries with its RuntimeContext. Entries that run user code
 * turn source maps on themselves, just before importing the bundle: mapping strmbrkr's own
 * modules too would slow every worker's start.
 */
export function forkEntry(entry: Entry, context: RuntimeContext): ChildProcess {
  const early = takeEarly(entry);
  if (early) {
    early.ref();
    early.channel?.ref();
    for (const pipe of pipesOf(early)) pipe.ref();
    void listening.get(early)!.then(() => {
      if (early.connected) early.send({ type: "context", context } satisfies ContextMessage);
    });
    return early;
  }
  return forkWith(entry, { [RUNTIME_ENV]: JSON.stringify(context) });
}

/** Entries forked before their context was known, by URL, oldest first; each forkEntry of one takes one. */
const forkedEarly = new Map<string, ChildProcess[]>();
/** Of each child forked early: once it listens for its context (a message sent before that would be lost). */
const listening = new WeakMap<ChildProcess, Promise<void>>();

/** The oldest child of `entry` forked early that still waits, if any. */
function takeEarly(entry: Entry): ChildProcess | undefined {
  const waiting = forkedEarly.get(entry.url.href) ?? [];
  let child: ChildProcess | undefined;
  while ((child = waiting.shift()) && !child.connected);
  if (waiting.length === 0) forkedEarly.delete(entry.url.href);
  return child;
}

/**
 * Forks `count` processes of `entry` now, before their RuntimeContext is known: they boot and load
 * their modules (on the other core, while this process is still starting), then wait for the
 * context, which the next `forkEntry(entry, …)` each sends. Unused, they exit with this process
 * (or at `discardEarly`). `args` reach the child's argv.
 */
export function forkEarly(entry: Entry, count = 1, args: string[] = []): void {
  const waiting = forkedEarly.get(entry.url.href) ?? [];
  forkedEarly.set(entry.url.href, waiting);
  while (waiting.length < count) {
    const child = forkWith(entry, {}, args);
    // Until it is used, it must not keep this process alive (its IPC channel would).
    child.unref();
    child.channel?.unref();
    for (const pipe of pipesOf(child)) pipe.unref();
    listening.set(
      child,
      new Promise((resolve) => {
        const onMessage = (message: AwaitingContextMessage) => {
          if (message?.type !== "awaiting-context") return;
          child.off("message", onMessage);
          resolve();
        };
        child.on("message", onMessage);
      }),
    );
    waiting.push(child);
  }
}

/** Stops the processes of `entry` forked early that nothing took: they were forked on a guess. */
export function discardEarly(entry: Entry): void {
  for (const child of forkedEarly.get(entry.url.href) ?? []) child.kill("SIGKILL");
  forkedEarly.delete(entry.url.href);
}

function forkWith(entry: Entry, env: NodeJS.ProcessEnv, args: string[] = []): ChildProcess {
  // On a terminal, the children's output reaches it through this process, a line at a time (and
  // their children's, which inherit the pipes): the CLI keeps a progress line at the bottom of the
  // terminal and must clear it before each line anyone writes (cli/status-line.ts), which it could
  // not do for a child writing straight to the terminal. Elsewhere (files, pipes) they inherit.
  const viaParent = process.stderr.isTTY === true;
  const child = fork(fileURLToPath(entry.url), args, {
    env: { ...process.env, ...extraCaEnv(entry), ...mallocEnv(), ...env },
    execArgv: [...process.execArgv.filter((arg) => arg.startsWith("--max-old-space-size")), ...profiling()],
    stdio: ["ignore", viaParent && process.stdout.isTTY ? "pipe" : "inherit", viaParent ? "pipe" : "inherit", "ipc"],
  });
  child.on("error", ignoreClosedChannel);
  const forwarded = [forwardLines(child.stdout, process.stdout), forwardLines(child.stderr, process.stderr)];
  if (viaParent)
    outputDone.set(
      child,
      Promise.all(forwarded).then(() => {}),
    );
  return child;
}

/** Errors of a message to a child that is going (sent just before its channel closed, e.g. as a failed run stops it). */
const CLOSED_CHANNEL = new Set(["EPIPE", "ECONNRESET", "ERR_IPC_CHANNEL_CLOSED"]);

/**
 * A message sent to a child as it exits fails (`connected` is still true until its channel's end
 * is read); what counts is its exit, which is watched. Anything else (it could not be spawned)
 * stays fatal, as an unhandled "error" event was.
 */
function ignoreClosedChannel(error: NodeJS.ErrnoException): void {
  if (!CLOSED_CHANNEL.has(error.code ?? "")) throw error;
}

const EXTRA_CA = "NODE_EXTRA_CA_CERTS";
const EXTRA_CA_KEPT = "STRMBRKR_EXTRA_CA_CERTS";

/**
 * Node 20 reads and parses the NODE_EXTRA_CA_CERTS bundle as it boots (Node 22 and later on first
 * use): ~40 ms of CPU for Debian's, on the path of every run's start. The hub runs none of the
 * script's code and makes no TLS connection, so it boots without it and keeps it aside for the
 * workers it forks; they and the store (which imports the script too) get the user's environment.
 * (An undefined value leaves the variable out of the child's environment.)
 */
function extraCaEnv(entry: Entry): NodeJS.ProcessEnv {
  const value = process.env[EXTRA_CA_KEPT] ?? process.env[EXTRA_CA];
  if (value === undefined) return {};
  return entry.loadsScript ? { [EXTRA_CA]: value, [EXTRA_CA_KEPT]: undefined } : { [EXTRA_CA]: undefined, [EXTRA_CA_KEPT]: value };
}

const TUNABLES = "GLIBC_TUNABLES";
const TUNABLES_KEPT = "STRMBRKR_GLIBC_TUNABLES";
/**
 * glibc's malloc settings for the processes the runtime forks. On a virtual machine a page fault
 * can cost ~10 µs (a few hundred ns on bare metal), and by default glibc gives freed memory back
 * to the kernel, so the next allocation faults it in again, a 4 KiB page at a time: a
 * 100,000-tiny-jobs run took ~76,000 faults. Huge pages for what malloc maps (one fault per 2 MiB,
 * where the kernel allows them on request), a few MiB kept when freed and asked for ahead: ~53,500
 * faults, 1.107× the jobs per second (BENCHMARKS.md, "Figures behind choices in the code"). The
 * user's own GLIBC_TUNABLES come first and win; glibc ignores names it does not know.
 */
const MALLOC_TUNING = ["glibc.malloc.hugetlb=1", "glibc.malloc.top_pad=4194304", "glibc.malloc.trim_threshold=8388608"];

/**
 * The GLIBC_TUNABLES (and the user's own, kept aside: "" for none) of a process forked from one
 * with environment `env`. In a process started with them, GLIBC_TUNABLES is not to be trusted:
 * glibc may cut it short where it parsed it (2.36 ends the value at its first ':').
 */
export function mallocEnv(env: NodeJS.ProcessEnv = process.env): { GLIBC_TUNABLES: string; STRMBRKR_GLIBC_TUNABLES: string } {
  const user = userTunables(env);
  const named = new Set(user?.split(":").map((tunable) => tunable.split("=")[0]));
  const ours = MALLOC_TUNING.filter((tunable) => !named.has(tunable.split("=")[0]));
  return { [TUNABLES]: [user, ...ours].filter(Boolean).join(":"), [TUNABLES_KEPT]: user ?? "" };
}

/**
 * In a process that runs the script's code (a worker, the store): glibc read the runtime's malloc
 * settings as it started; what the script starts from here (a job's own subprocesses) gets the
 * user's environment back.
 */
export function restoreUserEnvironment(): void {
  if (!(TUNABLES_KEPT in process.env)) return;
  const user = userTunables(process.env);
  delete process.env[TUNABLES_KEPT];
  if (user) process.env[TUNABLES] = user;
  else delete process.env[TUNABLES];
}

/** The user's own GLIBC_TUNABLES in `env`: kept aside in a process started with ours. */
const userTunables = (env: NodeJS.ProcessEnv) => (TUNABLES_KEPT in env ? env[TUNABLES_KEPT] : env[TUNABLES]) || undefined;

/** The pipes a child's output comes through (see forkWith): sockets, which can be (un)referenced. */
const pipesOf = (child: ChildProcess) => [child.stdout, child.stderr].filter((pipe): pipe is Socket => pipe instanceof Socket);

/** Once a child's forwarded output has all been written here (see forkWith). */
const outputDone = new WeakMap<ChildProcess, Promise<void>>();
/** How long an exited child's forwarded output may take to end (a grandchild left behind may hold the pipe). */
const OUTPUT_AFTER_EXIT_MS = 500;

/** Copies `from` to `to` in whole lines, so lines of several processes never interleave mid-line. */
function forwardLines(from: NodeJS.ReadableStream | null, to: NodeJS.WritableStream): Promise<void> {
  if (!from) return Promise.resolve();
  let partial = "";
  from.setEncoding("utf8");
  from.on("data", (chunk: string) => {
    const end = chunk.lastIndexOf("\n");
    if (end < 0) {
      partial += chunk;
      return;
    }
    to.write(partial + chunk.slice(0, end + 1));
    partial = chunk.slice(end + 1);
  });
  return new Promise((resolve) => {
    from.once("close", () => {
      if (partial) to.write(partial);
      resolve();
    });
  });
}

/** STRMBRKR_CPU_PROF_DIR=dir writes a V8 CPU profile of every child (NODE_OPTIONS may not carry --cpu-prof). */
function profiling(): string[] {
  const dir = process.env.STRMBRKR_CPU_PROF_DIR;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves once `child` has exited (at once if it already has) and the output forwarded from it is written (see forkWith). */
export async function exited(child: ChildProcess): Promise<void> {
  if (!hasExited(child)) await new Promise((resolve) => child.once("exit", resolve));
  const output = outputDone.get(child);
  if (!output) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([output, new Promise((resolve) => (timer = setTimeout(resolve, OUTPUT_AFTER_EXIT_MS)))]);
  clearTimeout(timer);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
export async function terminate(child: ChildProcess, graceMs = KILL_AFTER_MS): Promise<void> {
  if (hasExited(child)) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited(child);
  clearTimeout(timer);
}

let context: RuntimeContext | undefined;
let contextRead = false;

/**
 * The RuntimeContext a parent handed to this process, if any. It is taken out of the environment
 * on first read: a process a job starts (a nested `strmbrkr run`, any tool) must not take itself
 * for part of this run.
 */
export function readRuntimeContext(): RuntimeContext | undefined {
  if (!contextRead) {
    contextRead = true;
    const raw = process.env[RUNTIME_ENV];
    delete process.env[RUNTIME_ENV];
    context = raw ? (JSON.parse(raw) as RuntimeContext) : undefined;
  }
  return context;
}

/** Replaces this process's RuntimeContext (the kvs, once it knows its own endpoint). */
export function adoptRuntimeContext(replacement: RuntimeContext): void {
  readRuntimeContext();
  context = replacement;
}

/**
 * The RuntimeContext, from the environment or, in a process forked early (forkEarly), from its owner,
 * who sends it once told that this process listens (a message no one listens for is dropped); exits
 * if the owner leaves first.
 */
export function awaitRuntimeContext(): Promise<RuntimeContext> {
  contextWait ??= waitForContext();
  return contextWait;
}
let contextWait: Promise<RuntimeContext> | undefined;

function waitForContext(): Promise<RuntimeContext> {
  const context = readRuntimeContext();
  if (context) return Promise.resolve(context);
  process.on("SIGINT", () => {}); // Ctrl-C reaches the whole process group: the owner decides
  return new Promise((resolve) => {
    const leave = () => process.exit(0);
    const onMessage = (message: ContextMessage) => {
      if (message?.type !== "context") return;
      process.off("message", onMessage).off("disconnect", leave);
      adoptRuntimeContext(message.context);
      resolve(message.context);
    };
    process.on("message", onMessage).once("disconnect", leave);
    if (!process.connected) leave();
    // With a callback, a send to an owner that just left (a bad flag ends the CLI at once) fails there, not as an uncaught 'error'.
    else process.send!({ type: "awaiting-context" } satisfies AwaitingContextMessage, undefined, undefined, (error) => error && leave());
  });
}

/** A child of the runtime ignores Ctrl-C (its owner decides) and exits when its owner is gone. */
export function followOwner(onOwnerGone: () => void): void {
  process.on("SIGINT", () => {});
  process.on("disconnect", onOwnerGone);
  if (!process.connected) setImmediate(onOwnerGone); // it left before we listened
}

/** Sends to the owning process; a message to an owner that is gone is dropped ('disconnect' handles that). */
export function sendToOwner(message: object, then?: () => void): void {
  if (!process.connected) return then?.();
  process.send!(message, undefined, undefined, () => then?.());
}

import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { RUNTIME_ENV, type RuntimeContext } from "./protocol.js";

/** How long a child gets to exit after SIGTERM before it is killed. */
export const KILL_AFTER_MS = 3_000;

/**
 * Forks one of the runtime's process entries with its RuntimeContext. Entries that run user code
 * turn source maps on themselves, just before importing the bundle: mapping strmbrkr's own
 * modules too would slow every worker's start.
 */
export function forkEntry(entry: URL, context: RuntimeContext): ChildProcess {
  return fork(fileURLToPath(entry), [], {
    env: { ...process.env, [RUNTIME_ENV]: JSON.stringify(context) },
    execArgv: [...process.execArgv.filter((arg) => arg.startsWith("--max-old-space-size")), ...profiling()],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
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

/** Resolves once `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
export async function terminate(child: ChildProcess, graceMs = KILL_AFTER_MS): Promise<void> {
  if (hasExited(child)) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** Reads the RuntimeContext a parent handed to this process, if any. */
export function readRuntimeContext(): RuntimeContext | undefined {
  const raw = process.env[RUNTIME_ENV];
  return raw ? (JSON.parse(raw) as RuntimeContext) : undefined;
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

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { curveKeyPair } from "zeromq";
import { BIN, ROOT, killInstance, newInstanceId, type RunResult } from "./cli.js";

/**
 * Heartbeats fast enough that the host notices a lost worker or link within a second, yet slow
 * enough that a busy machine (2 cores running the suite) is not taken for a dead one.
 */
export const FAST_BEATS = { STRMBRKR_HEARTBEAT_INTERVAL: "0.2", STRMBRKR_HEARTBEAT_LIVENESS: "5" };

export interface Launched {
  child: ChildProcess;
  instanceId: string;
  /** Output so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match of `pattern` on stdout or stderr (checked on every chunk). */
  waitFor(pattern: RegExp, stream?: "stdout" | "stderr"): Promise<RegExpMatchArray>;
  /** Resolves when the process exits. */
  done: Promise<RunResult>;
}

/**
 * Starts `strmbrkr <args>` (after `prefix`, e.g. `ip netns exec NS`) with its own instance id and
 * collects its output; `t.teardown` kills whatever of it is left.
 */
export function launch(
  t: { teardown(fn: () => void): void },
  args: string[],
  {
    env = {},
    prefix = [],
    timeoutMs = 60_000,
    cwd = ROOT,
  }: { env?: Record<string, string>; prefix?: string[]; timeoutMs?: number; cwd?: string } = {},
): Launched {
  const instanceId = newInstanceId();
  const command = [...prefix, process.execPath, BIN, ...args];
  const child = spawn(command[0]!, command.slice(1), {
    cwd,
    // The store's answers get 10 s, as in runNode (test/lib/cli.ts): a test asserts what it answers, not how fast.
    env: { STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT: "10000", ...process.env, ...env, STRMBRKR_INSTANCE_ID: instanceId },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  const watchers = new Set<() => void>();
  for (const name of ["stdout", "stderr"] as const) {
    child[name]!.on("data", (chunk: Buffer) => {
      out[name] += chunk;
      for (const check of watchers) check();
    });
  }
  const timer = setTimeout(() => killInstance(instanceId), timeoutMs);
  const done = new Promise<RunResult>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      for (const check of watchers) check();
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr, instanceId });
    });
  });
  t.teardown(() => {
    killInstance(instanceId);
    // A host or supervisor the test SIGKILLed had no chance to remove its run directory.
    for (const name of readdirSync(tmpdir())) {
      if (name.startsWith(`strmbrkr-${instanceId}-`) || name.startsWith(`strmbrkr-worker-${instanceId}-`))
        rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  });
  return {
    child,
    instanceId,
    get stdout() {
      return out.stdout;
    },
    get stderr() {
      return out.stderr;
    },
    done,
    waitFor(pattern, stream) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = (stream ? out[stream] : `${out.stdout}\n${out.stderr}`).match(pattern);
          if (match) {
            watchers.delete(check);
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            watchers.delete(check);
            reject(new Error(`exited before printing ${pattern}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`));
          }
        };
        watchers.add(check);
        check();
      });
    },
  };
}

export interface Keys {
  dir: string;
  /** Key pair files (`.key`) and their public keys. */
  host: string;
  worker: string;
  stranger: string;
  public: { host: string; worker: string; stranger: string };
  /** Allow-list naming `worker` only. */
  authorized: string;
}

/** `strmbrkr run SCRIPT` with no local workers, listening on loopback TCP for remote ones with the test's keys. */
export function hostArgs(script: string, keys: Keys, ...scriptArgs: string[]): string[] {
  return [
    "run",
    script,
    "--workers",
    "0",
    "--listen",
    "tcp://127.0.0.1:*",
    "--key",
    keys.host,
    "--authorized-keys",
    keys.authorized,
    "--no-progress",
    "--",
    ...scriptArgs,
  ];
}

/**
 * Key pairs in `strmbrkr keygen`'s format, made in this process (test/remote-security.test.ts runs
 * keygen itself): the host's, an admitted worker's, and a stranger's.
 */
export function makeKeys(t: { teardown(fn: () => void): void }): Keys {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-keys-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pairs = { host: curveKeyPair(), worker: curveKeyPair(), stranger: curveKeyPair() };
  for (const [name, pair] of Object.entries(pairs)) {
    writeFileSync(
      join(dir, `${name}.key`),
      `# strmbrkr CURVE key pair (${name}): keep this file secret\npublic-key ${pair.publicKey}\nsecret-key ${pair.secretKey}\n`,
      { mode: 0o600 },
    );
    writeFileSync(join(dir, `${name}.pub`), `${pair.publicKey} ${name}\n`);
  }
  const authorized = join(dir, "authorized_keys");
  writeFileSync(authorized, `# admitted workers\n${pairs.worker.publicKey} worker\n`);
  return {
    dir,
    host: join(dir, "host.key"),
    worker: join(dir, "worker.key"),
    stranger: join(dir, "stranger.key"),
    public: { host: pairs.host.publicKey, worker: pairs.worker.publicKey, stranger: pairs.stranger.publicKey },
    authorized,
  };
}

/** The gateway address a host printed at start. */
export async function gatewayOf(host: Launched): Promise<string> {
  return (await host.waitFor(/listening for remote workers on (tcp:\/\/\S+)/, "stderr"))[1]!;
}

/** A private cache directory for a worker's bundles. */
export function cacheDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-cache-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The two halves of a `.key` file. */
export function readPair(path: string): { publicKey: string; secretKey: string } {
  const text = readFileSync(path, "utf8");
  const field = (name: string) => new RegExp(`^${name} (\\S+)$`, "m").exec(text)![1]!;
  return { publicKey: field("public-key"), secretKey: field("secret-key") };
}

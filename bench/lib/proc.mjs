// Running the bench's programs: every process gets a tag in its environment (inherited by its
// children), so after each run we can find whatever it left behind, report it and kill it.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const TAG_VARIABLE = "STRMBRKR_BENCH_TAG";
const RUN_PREFIX = `b${process.pid}x`;
let runs = 0;

/** A fresh tag for one program; it also serves as strmbrkr's instance id. */
export const newTag = () => `${RUN_PREFIX}${++runs}`;

/**
 * Runs `node <args>` from the repo root with `tag` in its environment; resolves with its wall time
 * (spawn → exit), exit code, output and the JSON object its last stdout line holds (or undefined).
 * `onStderr` sees each chunk of stderr as it comes, for a caller that must act while the program runs.
 */
export function runNode(args, { tag = newTag(), env = {}, timeoutMs = 600_000, onStderr } = {}) {
  const childEnv = { ...process.env, ...env, [TAG_VARIABLE]: tag, STRMBRKR_INSTANCE_ID: tag };
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    onStderr?.(String(chunk));
  });
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTagged(tag);
    }, timeoutMs);
    child.on("close", async (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      clearTimeout(timer);
      const leftover = await leftoversOf(tag);
      killTagged(tag);
      resolve({ tag, code, signal, timedOut, wallMs, stdout, stderr, leftover, json: lastJson(stdout) });
    });
  });
}

/** Pids of live processes carrying `tag` (or, with a prefix, any tag starting with it). */
export function taggedPids(tag = RUN_PREFIX) {
  const needle = `${TAG_VARIABLE}=${tag}`;
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (/\) Z /.test(readFileSync(`/proc/${entry}/stat`, "utf8"))) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, "latin1").split("\0");
      if (environ.some((line) => line === needle || (tag === RUN_PREFIX && line.startsWith(needle)))) pids.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return pids;
}

/** The processes of a finished program still alive after `graceMs`, with their command lines. */
async function leftoversOf(tag, graceMs = 5_000) {
  const until = Date.now() + graceMs;
  let pids = taggedPids(tag);
  while (pids.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    pids = taggedPids(tag);
  }
  return pids.map((pid) => ({ pid, command: commandOf(pid) }));
}

/** SIGKILLs every live process carrying `tag` (default: every process this bench run started). */
export function killTagged(tag = RUN_PREFIX) {
  for (const pid of taggedPids(tag)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

function commandOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

function lastJson(stdout) {
  const line = stdout.trim().split("\n").at(-1);
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

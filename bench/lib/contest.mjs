// Running strmbrkr and its peers side by side: repetitions in alternating order, each program
// checked for a clean exit and for processes it left behind.
import { runNode } from "./proc.mjs";

const BIN = "bin/strmbrkr.js";
const RUN_TIMEOUT_MS = 1_800_000;

/** Bugs and oddities seen during the run (processes left behind, failed repetitions). */
export const notes = [];

/** Runs each contestant `reps` times, alternating the order every repetition; a failed repetition is recorded as undefined. */
export async function repeat(figure, reps, contestants) {
  const samples = Object.fromEntries(Object.keys(contestants).map((name) => [name, []]));
  for (let rep = 0; rep < reps; rep++) {
    const names = Object.keys(contestants);
    if (rep % 2 === 1) names.reverse();
    for (const name of names) {
      try {
        const value = await contestants[name]();
        samples[name].push(value);
        log(
          `${figure} ${rep + 1}/${reps} ${name}: ${JSON.stringify(value, (_, v) => (typeof v === "number" ? Math.round(v * 10) / 10 : v))}`,
        );
      } catch (error) {
        samples[name].push(undefined);
        notes.push(`${figure} ${rep + 1}/${reps} ${name} failed: ${error.message.split("\n")[0]}`);
        log(`${figure} ${rep + 1}/${reps} ${name} FAILED: ${error.message}`);
      }
    }
  }
  return samples;
}

/** `strmbrkr run bench/scripts/<script>`; `flags` go before the script's `args`, `onStderr` as runNode's. */
export function strmbrkr(script, workers, args, { flags = [], onStderr } = {}) {
  const command = [BIN, "run", `bench/scripts/${script}`, "--workers", String(workers), "--no-progress", ...flags];
  return run(args?.length ? [...command, "--", ...args.map(String)] : command, `strmbrkr run ${script}`, { onStderr });
}

export function peer(script, args) {
  return run([`bench/peers/${script}`, ...args.map(String)], script);
}

/** Runs `node args`; records any process it left behind; throws unless it exited 0 (printing JSON, if `needJson`). */
async function run(args, label, { onStderr } = {}) {
  const result = await runNode(args, { timeoutMs: RUN_TIMEOUT_MS, onStderr });
  if (result.leftover.length > 0) {
    notes.push(
      `${label} left ${result.leftover.length} process(es) running after it exited (killed): ${result.leftover.map((p) => `${p.pid} ${p.command}`).join("; ")}`,
    );
  }
  if (result.code !== 0) {
    const why = result.timedOut ? `timed out after ${RUN_TIMEOUT_MS / 1000} s` : `exited ${result.code ?? result.signal}`;
    throw new Error(`node ${args.join(" ")} ${why}\n${result.stderr.slice(-2000)}`);
  }
  return result;
}

export const pick = (samples, field) => samples.map((sample) => sample?.[field]);
export const count = (n) => n.toLocaleString("en-US");
export const log = (line) => console.error(`bench: ${line}`);

/**
 * On a terminal, the progress line is cleared before every line anyone writes (main, the workers'
 * stdout and stderr) and drawn again after it, so no line is glued to it. Run in a pseudo-terminal
 * made by util-linux's `script`; skipped where there is none.
 */
import t from "tap";
import { spawn, spawnSync } from "node:child_process";
import { BIN, fixture, killInstance, newInstanceId, processesGone } from "./lib/cli.js";

const hasScript = spawnSync("script", ["--version"]).status === 0;

t.test(
  "lines written while the progress line is shown each start on a line of their own",
  { skip: !hasScript && "no util-linux script(1) for a pseudo-terminal", timeout: 60_000 },
  async (t) => {
    const instanceId = newInstanceId();
    t.teardown(() => killInstance(instanceId));
    const command = `${process.execPath} ${BIN} run ${fixture("progress-output.ts")} --workers 2`;
    // -e: script's exit status is the command's; -f: flushes as it goes; the log file is /dev/null.
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      env: { ...process.env, STRMBRKR_INSTANCE_ID: instanceId },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    const code = await new Promise((resolve) => child.on("close", resolve));
    t.equal(code, 0, "exit 0");

    const CLEAR = "\r\x1b[2K";
    t.match(out, /\d+\/\d+ done, 0 failed, [\d.]+ jobs\/s, \d\/2 workers busy/, "the progress line was shown");
    t.notMatch(out, /workers busy(?!\r\x1b\[2K)/, "every time it was drawn, it was cleared before anything else was written");
    for (let n = 0; n < 16; n++) {
      for (const line of [`main line ${n}`, `worker line ${n}`, `worker error line ${n}`]) {
        // After a clear, a previous line, or at the start (written before the line was first drawn).
        t.ok(
          [CLEAR, "\n", ""].some((before) => (before ? out.includes(`${before}${line}\r\n`) : out.startsWith(`${line}\r\n`))),
          `"${line}" on a line of its own`,
        );
      }
    }
    t.match(out, `${CLEAR}strmbrkr: 16/16 done, 0 failed`, "then the summary");
    t.same(await processesGone(instanceId), [], "no process left");
  },
);

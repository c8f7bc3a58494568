/**
 * The worker count `strmbrkr run` guesses from its arguments before the CLI parses them
 * (runtime/host/worker-guess.ts): the hub forks that many at once. The same sources as the
 * configuration, in the same order; anything it cannot read is no guess (0).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { guessWorkerCount } from "../runtime/host/worker-guess.js";

const empty = mkdtempSync(join(tmpdir(), "strmbrkr-guess-"));
const withFile = mkdtempSync(join(tmpdir(), "strmbrkr-guess-"));
writeFileSync(join(withFile, "strmbrkr.env"), "# workers\nexport STRMBRKR_WORKER_PROC_COUNT = 3\n");
t.teardown(() => [empty, withFile].forEach((dir) => rmSync(dir, { recursive: true, force: true })));

t.test("flags, then the environment, then strmbrkr.env, then 4", async (t) => {
  t.equal(guessWorkerCount(["s.ts"], {}, empty), 4, "the default");
  t.equal(guessWorkerCount(["s.ts"], {}, withFile), 3, "strmbrkr.env");
  t.equal(guessWorkerCount(["s.ts"], { STRMBRKR_WORKER_PROC_COUNT: "6" }, withFile), 6, "the environment over the file");
  t.equal(guessWorkerCount(["s.ts", "--workers", "2"], { STRMBRKR_WORKER_PROC_COUNT: "6" }, withFile), 2, "--workers N");
  t.equal(guessWorkerCount(["--workers=5", "s.ts"], {}, empty), 5, "--workers=N");
  t.equal(guessWorkerCount(["-w", "7", "s.ts"], {}, empty), 7, "-w N");
  t.equal(guessWorkerCount(["-w", "7", "-w", "1", "s.ts"], {}, empty), 1, "the last one");
  t.equal(guessWorkerCount(["s.ts", "--", "--workers", "9"], {}, empty), 4, "not the script's own arguments");
});

t.test("no guess (0) for what is not a count, and at most 64", async (t) => {
  t.equal(guessWorkerCount(["s.ts", "--workers", "0", "--listen", "tcp://127.0.0.1:*"], {}, empty), 0, "0: remote workers only");
  t.equal(guessWorkerCount(["s.ts", "--workers", "five"], {}, empty), 0, "not a number");
  t.equal(guessWorkerCount(["s.ts", "--workers"], {}, empty), 0, "no value");
  t.equal(guessWorkerCount(["s.ts"], { STRMBRKR_WORKER_PROC_COUNT: "2.5" }, empty), 0, "not an integer");
  t.equal(guessWorkerCount(["s.ts", "-w", "1000"], {}, empty), 64, "capped");
});

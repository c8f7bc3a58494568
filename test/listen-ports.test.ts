/**
 * `strmbrkr run --listen tcp://HOST:PORT` with one of its four ports (PORT … PORT+3) taken: the run
 * stops before main with one line naming that port, exit 1, and nothing left running, whether the
 * hub's port (PORT, PORT+1, PORT+2) or the key-value store's (PORT+3) is the one in use.
 */
import t from "tap";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newKeyPair } from "../runtime/util/curve.js";
import { fixture, processesGone, strmbrkr } from "./lib/cli.js";
import type { TapTest } from "./lib/scenario.js";

const dir = mkdtempSync(join(tmpdir(), "strmbrkr-listen-ports-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// Keys rather than --insecure, whose warning would be a second line.
const authorized = join(dir, "authorized");
writeFileSync(authorized, `${newKeyPair().publicKey}\n`);

/** Holds a free loopback port the OS picks, until the test ends. */
async function takePort(t: TapTest): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => server.close());
  return (server.address() as AddressInfo).port;
}

const WHAT = ["the gateway", "jobs", "nested submits", "the key-value store"];

// PORT and PORT+2 are bound by the hub as PORT+1 is: the same path.
for (const offset of [1, 3]) {
  t.test(`PORT+${offset} in use (${WHAT[offset]})`, { timeout: 30_000 }, async (t) => {
    const taken = await takePort(t);
    const result = await strmbrkr(
      [
        "run",
        fixture("cli-print-workers.ts"),
        "-w",
        "1",
        "--listen",
        `tcp://127.0.0.1:${taken - offset}`,
        "--authorized-keys",
        authorized,
        "--no-progress",
      ],
      { timeoutMs: 25_000 },
    );
    t.equal(result.code, 1, "exit 1", { stderr: result.stderr });
    t.equal(
      result.stderr,
      `strmbrkr: --listen: cannot bind tcp://127.0.0.1:${taken} (${WHAT[offset]}): the port is in use (the next three ports must be free too)\n`,
      "one line naming the port",
    );
    t.equal(result.stdout, "", "main did not run");
    t.same(await processesGone(result.instanceId), [], "no process left");
  });
}

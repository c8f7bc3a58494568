/**
 * The broker's doors. On loopback TCP (`--protocol tcp`, the default) the hub binds no TCP port and
 * loads no zeromq: the run's processes reach it over unix sockets in the run directory, and an
 * ephemeral port published nowhere would serve nobody. With `--protocol ipc` it also binds zeromq
 * ROUTERs as socket files there, where the owner's own zeromq peers find them (docs/protocol.md).
 */
import { readFileSync } from "node:fs";
import t from "tap";
import { fixture, lastJson, processesGone, processesRunning, strmbrkr } from "./lib/cli.js";
import { listenersOf, type Target } from "./lib/listeners.js";

interface Seen {
  hubTargets: Target[];
  hubLoadsZeromq: boolean;
}

/** The hub's listening sockets, and whether it mapped zeromq's addon, seen once the run's main is going. */
function inspectHub(instanceId: string): Seen {
  const hub = processesRunning(instanceId, "runtime/hub/main.js")[0];
  if (hub === undefined) throw new Error("the run has no hub process");
  return {
    hubTargets: listenersOf(instanceId).filter((target) => target.label.endsWith(`(hub ${hub})`)),
    hubLoadsZeromq: readFileSync(`/proc/${hub}/maps`, "utf8").includes("zeromq"),
  };
}

for (const protocol of ["tcp", "ipc"] as const) {
  t.test(`--protocol ${protocol}`, { timeout: 60_000 }, async (t) => {
    let seen: Seen | Error | undefined;
    const result = await strmbrkr(
      ["run", fixture("rel-steady.ts"), "--workers", "1", "--protocol", protocol, "--no-progress", "--", "0", "until-signal"],
      {
        timeoutMs: 50_000,
        onSpawn: (child, instanceId) =>
          child.stdout!.once("data", () => {
            try {
              seen = inspectHub(instanceId);
            } catch (error) {
              seen = error as Error;
            }
            child.kill("SIGUSR2");
          }),
      },
    );
    t.equal(result.code, 0, "the run finished normally", { stderr: result.stderr.slice(-3000) });
    t.equal(lastJson(result.stdout).wrong, 0, "its jobs came back right");
    if (!seen || seen instanceof Error) {
      t.fail(`the hub could not be inspected: ${seen?.message ?? "main never started"}`);
      return;
    }
    const labels = seen.hubTargets.map((target) => target.label);
    t.same(
      seen.hubTargets.filter((target) => target.tcp),
      [],
      "the hub listens on no TCP port",
    );
    t.ok(
      labels.some((label) => label.includes("/frontend-local.sock ")) && labels.some((label) => label.includes("/backend-local.sock ")),
      "it listens on its two local unix sockets",
      { labels },
    );
    const zeromqFiles = seen.hubTargets.filter((target) => /\/(frontend|backend)\.sock$/.test(target.unix ?? ""));
    if (protocol === "tcp") {
      t.equal(zeromqFiles.length, 0, "and on no zeromq socket file", { labels });
      t.notOk(seen.hubLoadsZeromq, "zeromq is not loaded in the hub");
    } else {
      t.equal(zeromqFiles.length, 2, "and on its two zeromq ROUTERs' socket files in the run directory", { labels });
      t.ok(seen.hubLoadsZeromq, "for which it loads zeromq");
    }
    t.same(await processesGone(result.instanceId), [], "no process left");
  });
}

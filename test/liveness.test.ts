/** Liveness and Heartbeat (runtime/util/liveness.ts), which the broker, the gateway, a worker's link and a remote supervisor share. */
import t from "tap";
import { Heartbeat, Liveness } from "../runtime/util/liveness.js";

t.test("a peer is silent only once it has said nothing for longer than silenceMs", async (t) => {
  const peer = new Liveness(3_000, 1_000);
  t.equal(peer.silenceMs, 3_000);
  t.equal(peer.silentForMs(2_500), 1_500, "silent for the time since it was created");
  t.notOk(peer.isSilent(4_000), "exactly silenceMs: still alive");
  t.ok(peer.isSilent(4_001), "a millisecond more: silent");
  peer.heard(4_001);
  t.notOk(peer.isSilent(4_002), "heard again: alive");
  t.equal(peer.silentForMs(5_001), 1_000, "counted from when it was last heard");
});

t.test("a heartbeat checks on a timer, with the time of the check, until stopped", async (t) => {
  const checks: number[] = [];
  const before = Date.now();
  await new Promise<void>((resolve) => {
    const heartbeat = new Heartbeat(5, (now) => {
      checks.push(now);
      if (checks.length === 3) {
        heartbeat.stop();
        resolve();
      }
    });
  });
  t.equal(checks.length, 3, "three checks");
  t.ok(
    checks.every((now, i) => now >= before && (i === 0 || now >= checks[i - 1]!)),
    "each given the time, in order",
    { checks },
  );
});

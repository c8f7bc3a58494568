/**
 * OptimiseWhenBusy (runtime/util/tier-up.ts): the hub turns TurboFan on once 50 jobs end within
 * 50 ms, or 20,000 in all, and never turns it off again.
 */
import t from "tap";
import { OptimiseWhenBusy } from "../runtime/util/tier-up.js";

/** A clock the test moves (ms). */
function clock() {
  const state = { ms: 0 };
  return { state, now: () => state.ms };
}

t.test("a burst of jobs turns TurboFan on", async (t) => {
  const { state, now } = clock();
  const gate = new OptimiseWhenBusy(now);
  t.notOk(gate.optimising, "off at first");
  gate.ended(30);
  state.ms = 49;
  gate.ended(19);
  t.notOk(gate.optimising, "49 jobs in 49 ms: still off");
  gate.ended(1);
  t.ok(gate.optimising, "the 50th within 50 ms turns it on");
  state.ms = 10_000;
  gate.ended(1);
  t.ok(gate.optimising, "and it stays on");
});

t.test("jobs spread thin do not, until there have been 20,000", async (t) => {
  const { state, now } = clock();
  const gate = new OptimiseWhenBusy(now);
  gate.ended(30);
  state.ms = 51;
  gate.ended(30);
  t.notOk(gate.optimising, "60 jobs, but over 51 ms: off (each window counts its own)");
  let ended = 60;
  while (ended + 49 < 20_000) {
    state.ms += 51;
    gate.ended(49);
    ended += 49;
  }
  t.notOk(gate.optimising, `${ended} jobs at under 1,000 a second: off`);
  state.ms += 51;
  gate.ended(20_000 - ended);
  t.ok(gate.optimising, "the 20,000th turns it on");
});

/**
 * SpinWait (runtime/util/spin-wait.ts): after a send, the event loop polls for the answer a while
 * instead of sleeping; the answer or the window ends it; spins the answer comes too late for back
 * off. Then whole runs with it off and at its widest give the same results.
 */
import t from "tap";
import { SpinWait } from "../runtime/util/spin-wait.js";
import { fixture, lastJson, newInstanceId, processesGone, strmbrkr } from "./lib/cli.js";

/** A clock the test moves (ms). */
function clock() {
  const state = { ms: 0 };
  return { state, now: () => state.ms };
}
const immediates = () => process.getActiveResourcesInfo().filter((name) => name === "Immediate").length;
/** Lets the event loop turn a few times, by a timer (not an immediate, which the count would see). */
const turns = () => new Promise((resolve) => setTimeout(resolve, 5));
/** One exchange on `spin`, answered `ms` later by the test's clock: whether it spun. */
const exchanges =
  (spin: SpinWait, state: { ms: number }) =>
  (ms: number): boolean => {
    spin.sent();
    const spun = spin.spinning;
    state.ms += ms;
    spin.answered();
    return spun;
  };

t.test("a send spins until its answer comes", async (t) => {
  const { now } = clock();
  const spin = new SpinWait(200, { now });
  spin.sent();
  t.ok(spin.spinning, "spinning after the send");
  await turns();
  t.ok(spin.spinning, "still spinning while no answer came and the window lasts");
  t.ok(immediates() > 0, "the event loop is kept turning");
  spin.answered();
  t.notOk(spin.spinning, "the answer stops it");
  await turns();
  t.equal(immediates(), 0, "and the loop stops turning");
});

t.test("the window ends a spin that no answer ends", async (t) => {
  const { state, now } = clock();
  const spin = new SpinWait(200, { now });
  spin.sent();
  state.ms = 0.25; // 250 µs later
  await turns();
  t.notOk(spin.spinning, "stopped at the end of its window");
  t.equal(immediates(), 0, "the loop stopped turning");
});

t.test("a window of 0 never spins", async (t) => {
  const spin = new SpinWait(0);
  spin.sent();
  t.notOk(spin.spinning);
  t.equal(immediates(), 0);
});

t.test("back-off doubles on each late answer, up to 64 exchanges, and a spin that pays resets it", async (t) => {
  const { state, now } = clock();
  const exchange = exchanges(new SpinWait(200, { now }), state);
  /** Sleeping exchanges (answered at once) until one spins; how many slept. */
  const slept = (): number => {
    let count = 0;
    while (!exchange(0)) count++;
    return count;
  };
  t.ok(exchange(1), "a spin, answered late");
  const pauses: number[] = [];
  for (let i = 0; i < 8; i++) {
    pauses.push(slept()); // the exchange that ends the pause spins and is answered at once: it pays
    t.ok(exchange(1), "the next spins, and is answered late again");
  }
  t.same(pauses, [1, 1, 1, 1, 1, 1, 1, 1], "a spin that paid between late ones keeps the pause at 1");
  const doubling: number[] = [];
  for (let i = 0; i < 8; i++) {
    let count = 0;
    while (!exchange(1)) count++; // every spin is answered late
    doubling.push(count);
  }
  t.same(doubling, [1, 2, 4, 8, 16, 32, 64, 64], "late after late: the pause doubles, to at most 64");
});

t.test(
  "job exchanges spin on after a near miss (16 in a row, no thread waiting for a CPU), and back off after a later answer",
  async (t) => {
    const { state, now } = clock();
    let crowded = false;
    const jobs = exchanges(new SpinWait(200, { now, spinOnNearMiss: true, crowded: () => crowded }), state);
    const nearMisses: boolean[] = [];
    for (let i = 0; i < 17; i++) nearMisses.push(jobs(0.5)); // after the 200 µs window, within three
    t.same(nearMisses, Array(17).fill(true), "each near miss leaves the next exchange spinning, up to 16 in a row");
    t.notOk(jobs(0), "the 17th counted as late: the next exchange sleeps");
    t.ok(jobs(0), "then it spins again, and pays");
    t.ok(jobs(0.7), "an answer three windows late…");
    t.notOk(jobs(0), "…backs off at once");
    t.ok(jobs(0), "a spin that pays resets the back-off");
    crowded = true;
    t.ok(jobs(0.5), "a near miss while more threads want a CPU than there are…");
    t.notOk(jobs(0), "…backs off as a late answer");

    const store = exchanges(new SpinWait(200, { now }), state);
    t.ok(store(0.5), "without the option a near miss…");
    t.notOk(store(0), "…backs off as any late answer");
  },
);

t.test("a process's spins share one loop, and each ends on its own", async (t) => {
  const { now } = clock(); // stands still: only answers end these spins
  const a = new SpinWait(200, { now });
  const b = new SpinWait(200, { now });
  a.sent();
  b.sent();
  a.answered();
  t.notOk(a.spinning, "the answered one stopped");
  t.ok(b.spinning, "the other spins on");
  await turns();
  t.ok(immediates() > 0, "the loop still turns for it");
  b.answered();
  await turns();
  t.equal(immediates(), 0, "and stops with the last");
});

for (const spinWait of ["0", "10000"]) {
  t.test(`a run of lone jobs and store calls with STRMBRKR_SPIN_WAIT=${spinWait}`, async (t) => {
    const instanceId = newInstanceId();
    const result = await strmbrkr(["run", fixture("spin-wait.ts"), "--workers", "2", "--no-progress"], {
      env: { STRMBRKR_SPIN_WAIT: spinWait, STRMBRKR_INSTANCE_ID: instanceId },
      timeoutMs: 60_000,
    });
    t.equal(result.code, 0, "exit 0", { stderr: result.stderr.slice(-2000) });
    t.same(lastJson(result.stdout), { lone: 300, wrong: 0, stored: 300, sum: 44850 }, "every job's value and every stored value");
    t.same(await processesGone(instanceId), [], "no process left");
  });
}

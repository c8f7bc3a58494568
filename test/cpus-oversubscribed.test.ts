/**
 * cpusOversubscribed (runtime/util/proc-stats.ts): the check that stops a job exchange spinning on
 * after a near miss (spin-wait.ts) reads /proc/loadavg's runnable count against the CPUs allowed.
 */
import t from "tap";
import { cpusOversubscribed } from "../runtime/util/proc-stats.js";

const loadavg = (runnable: number) => () => `0.52 0.41 0.30 ${runnable}/250 12345\n`;

t.test("more runnable threads than CPUs is oversubscribed; as many or fewer is not", async (t) => {
  t.notOk(cpusOversubscribed(loadavg(1), 2), "1 runnable on 2 CPUs");
  t.notOk(cpusOversubscribed(loadavg(2), 2), "2 on 2");
  t.ok(cpusOversubscribed(loadavg(3), 2), "3 on 2");
  t.notOk(cpusOversubscribed(loadavg(3), 4), "3 on 4");
});

t.test("where /proc cannot say, it answers oversubscribed (spinning on is never the guess)", async (t) => {
  t.ok(
    cpusOversubscribed(() => {
      throw new Error("ENOENT");
    }, 2),
    "no /proc/loadavg",
  );
  t.ok(
    cpusOversubscribed(() => "not a loadavg", 2),
    "unreadable contents",
  );
});

t.test("the CPUs allowed default to this process's affinity's count", async (t) => {
  t.notOk(cpusOversubscribed(loadavg(1)), "1 runnable thread never oversubscribes");
  t.ok(cpusOversubscribed(loadavg(4097)), "more runnable threads than any machine here has CPUs does");
});

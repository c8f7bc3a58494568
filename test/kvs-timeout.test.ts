/**
 * TransactionTimeout through the built CLI. A KVS server stopped with SIGSTOP still has its socket
 * accepted by the kernel but never answers — the realistic "server alive but stuck" case — so a
 * request must reject with TransactionTimeout after STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT ms ×
 * STRMBRKR_KVS_CLIENT_SOCKET_ATTEMPTS, never hang; once continued, the server answers fresh
 * requests, and stale answers to timed-out ones are not taken for them.
 */
import t from "tap";
import { rejectsWith, resolvesWith, runFixture, scratchDir } from "./lib/kvs-helpers.js";

const TIMEOUT_MS = 200;
const env = (attempts: number) => ({
  STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT: String(TIMEOUT_MS),
  STRMBRKR_KVS_CLIENT_SOCKET_ATTEMPTS: String(attempts),
});

t.test("a stopped server: TransactionTimeout within ~1 s in main and in a job, then it answers again", async (t) => {
  const { summary: s } = await runFixture(t, "kvs-timeout.ts", { cwd: scratchDir(t), env: env(1), timeoutMs: 30_000 });
  t.match(s.stoppedState, /^[tT]$/, "the server process was stopped (state T) before the requests");
  t.not(s.serverPid, s.hostPid, "the server is its own process");

  rejectsWith(t, s.main, "TransactionTimeout", "getValue from main", {
    code: "ERR_STRMBRKR_KVS_TIMEOUT",
    message: /get got no answer in 200 ms \(1 attempt\)/,
    strmbrkrError: true,
  });
  t.ok(s.main?.ms >= TIMEOUT_MS - 10, `it waited the timeout first (${s.main?.ms} ms)`);
  t.ok(s.main?.ms < 1_000, `it rejected within 1 s (${s.main?.ms} ms)`);

  const concurrent: any[] = s.concurrent ?? [];
  t.equal(concurrent.length, 3, "three requests were in flight at once");
  for (const [i, op] of ["get", "set", "append"].entries()) {
    rejectsWith(t, concurrent[i], "TransactionTimeout", `concurrent ${op}`, {
      code: "ERR_STRMBRKR_KVS_TIMEOUT",
      message: new RegExp(`${op} got no answer`),
    });
  }
  t.ok(s.concurrentMs < 3 * TIMEOUT_MS, `they timed out together, not one after another (${s.concurrentMs} ms)`);

  t.equal(s.job?.status, "processed", "the job came back", { job: s.job });
  rejectsWith(t, s.job?.retval, "TransactionTimeout", "getValue from a job", { code: "ERR_STRMBRKR_KVS_TIMEOUT", strmbrkrError: true });
  t.ok(
    s.job?.retval?.ms >= TIMEOUT_MS - 10 && s.job?.retval?.ms < 1_000,
    `the job's request rejected after ~${TIMEOUT_MS} ms (${s.job?.retval?.ms} ms)`,
  );

  t.notMatch(s.continuedState, /^[tT]$/, "the server was continued");
  resolvesWith(t, s.afterB, "B", "getValue('b') after SIGCONT (not the stale answer for 'a')");
  resolvesWith(t, s.afterSet, "E", "setValue after SIGCONT");
  resolvesWith(t, s.afterE, "E", "getValue after SIGCONT");
  t.equal(s.afterPing?.value?.pid, s.serverPid, "the same server answers: it was not replaced");
});

t.test("attempts multiply the wait: 200 ms × 3 attempts", async (t) => {
  const { summary: s } = await runFixture(t, "kvs-timeout.ts", { cwd: scratchDir(t), env: env(3), timeoutMs: 30_000 });
  rejectsWith(t, s.main, "TransactionTimeout", "getValue from main", {
    code: "ERR_STRMBRKR_KVS_TIMEOUT",
    message: /get got no answer in 200 ms \(3 attempts\)/,
    strmbrkrError: true,
  });
  t.ok(s.main?.ms >= 3 * TIMEOUT_MS - 10, `it tried three times before rejecting (${s.main?.ms} ms)`);
  t.ok(s.main?.ms < 3 * TIMEOUT_MS + 800, `and then rejected promptly (${s.main?.ms} ms)`);
  rejectsWith(t, s.job?.retval, "TransactionTimeout", "getValue from a job", { message: /\(3 attempts\)/ });
  resolvesWith(t, s.afterB, "B", "the server answers after SIGCONT");
});

t.test("a request resent because the answer was slow is applied once", async (t) => {
  // The server pauses 450 ms: past the first 300 ms attempt, well within 5 × 300 ms. The client
  // resends the append; the caller sees one append succeed, so the store must hold it once.
  const retryEnv = { STRMBRKR_KVS_CLIENT_SOCKET_TIMEOUT: "300", STRMBRKR_KVS_CLIENT_SOCKET_ATTEMPTS: "5" };
  const { summary: s } = await runFixture(t, "kvs-timeout.ts", {
    cwd: scratchDir(t),
    env: retryEnv,
    args: ["retry", "450"],
    timeoutMs: 30_000,
  });
  t.match(s.stoppedState, /^[tT]$/, "the server was stopped before the append");
  t.equal(s.append?.ok, true, "appendValue resolved (the server answered within the attempts)", { append: s.append });
  t.ok(s.append?.ms >= 300 - 10, `the first attempt went unanswered, so the request was resent (${s.append?.ms} ms)`);
  resolvesWith(t, s.append, ["x"], "appendValue");
  resolvesWith(t, s.stored, ["x"], "the store then holds the value once: getValue");
});

// What waking a Node process costs on this machine, in CPU: the floor under every hop a job's
// messages make between strmbrkr's processes (BENCHMARKS.md, "Where the remaining goals stand").
// One message every 25 ms, as results of 50 ms jobs on two workers come:
//   - timer: a process woken by a timer that does nothing;
//   - relay: a process that reads each message from one unix socket and writes it to another (what
//     the hub does with a result, with no bookkeeping at all);
//   - thread: a round trip to a worker thread over its MessagePort (what piscina's main thread and
//     worker do per task), the whole process's CPU.
//   node bench/wake-cost.mjs [messages]      (default 200)
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker, isMainThread, parentPort } from "node:worker_threads";

const GAP_MS = 25;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuUs = (since) => {
  const { user, system } = process.cpuUsage(since);
  return user + system;
};

if (!isMainThread) {
  parentPort.on("message", (message) => parentPort.postMessage(message));
} else if (process.argv[2] === "relay") {
  // The relay child: in.sock → out.sock; answers "cpu" on its IPC channel with its CPU so far.
  const [dir] = process.argv.slice(3);
  const out = net.connect(join(dir, "out.sock"));
  net.createServer((socket) => socket.on("data", (data) => out.write(data))).listen(join(dir, "in.sock"), () => process.send("ready"));
  process.on("message", () => process.send(cpuUs()));
} else if (process.argv[2] === "timer") {
  const count = Number(process.argv[3]);
  for (let i = 0; i < 10; i++) await sleep(GAP_MS); // warm, as the others
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) await sleep(GAP_MS);
  process.send(cpuUs(start) / count);
} else {
  const count = Number(process.argv[2] ?? 200);
  if (!Number.isInteger(count) || count < 1) {
    console.error(`wake-cost: messages must be a whole number over 0, not ${JSON.stringify(process.argv[2])}`);
    process.exit(2);
  }
  const child = (args) => fork(new URL(import.meta.url).pathname, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const answer = (proc) => new Promise((resolve) => proc.once("message", resolve));

  const timer = child(["timer", String(count)]);
  const timerUs = await answer(timer);
  timer.kill();

  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-wake-"));
  const received = net.createServer((socket) => socket.resume()).listen(join(dir, "out.sock"));
  const relay = child(["relay", dir]);
  await answer(relay);
  const input = net.connect(join(dir, "in.sock"));
  await new Promise((resolve) => input.once("connect", resolve));
  const relayCpu = () => {
    relay.send("cpu");
    return answer(relay);
  };
  const relayed = async (messages) => {
    for (let i = 0; i < messages; i++) {
      input.write(Buffer.alloc(200));
      await sleep(GAP_MS);
    }
  };
  await relayed(10); // warm
  const before = await relayCpu();
  await relayed(count);
  const relayUs = ((await relayCpu()) - before) / count;
  relay.kill();
  input.destroy();
  received.close();
  rmSync(dir, { recursive: true, force: true });

  const worker = new Worker(new URL(import.meta.url));
  const roundTrip = (message) =>
    new Promise((resolve) => {
      worker.once("message", resolve);
      worker.postMessage(message);
    });
  const roundTrips = async (messages) => {
    for (let i = 0; i < messages; i++) {
      await roundTrip(Buffer.alloc(200));
      await sleep(GAP_MS);
    }
  };
  await roundTrips(10); // warm
  const start = process.cpuUsage();
  await roundTrips(count);
  const threadUs = cpuUs(start) / count;
  await worker.terminate();

  console.log(`CPU per wake, ${count} messages ${GAP_MS} ms apart (node ${process.version}):`);
  console.log(`  timer (a process woken to do nothing):        ${timerUs.toFixed(0)} µs`);
  console.log(`  relay (a process: unix socket in → out):      ${relayUs.toFixed(0)} µs`);
  console.log(`  thread round trip (whole process, its timer): ${threadUs.toFixed(0)} µs`);
}

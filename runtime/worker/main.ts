import { pathToFileURL } from "node:url";
import { Dealer } from "zeromq";
import { toErrorInfo } from "../../stdlib/errors.js";
import "../../stdlib/index.js"; // installs the KeyValueStore global before the script runs
import { followOwner, readRuntimeContext, sendToOwner } from "../children.js";
import { getLogger, setLogLevel } from "../logger.js";
import { Back, PROTOCOL_VERSION, type HubToWorker, type JobDispatch, type WorkerHello, type WorkerToHub } from "../protocol.js";
import { Outbox } from "../outbox.js";
import { decode, encode } from "../serialize.js";
import { runJob } from "./runner.js";

// A worker process: imports the run's bundle, then takes jobs from the broker one at a time.
const context = readRuntimeContext()!;
setLogLevel(context.config.loggingLevel);
const log = getLogger("worker");
followOwner(() => process.exit(0));

let exports: Record<string, unknown>;
try {
  exports = (await import(pathToFileURL(context.bundle!).href)) as Record<string, unknown>;
} catch (error) {
  sendToOwner({ type: "fatal", error: toErrorInfo(error) } satisfies WorkerToHub, () => process.exit(1));
  await new Promise(() => {});
}

const socket = new Dealer({ routingId: context.workerId!, linger: 1_000 });
socket.connect(context.backend!);

process.on("message", (message: HubToWorker) => {
  if (message.type === "stop") {
    socket.close();
    process.exit(0);
  }
});

const hello: WorkerHello = { version: PROTOCOL_VERSION, pid: process.pid, poolId: context.poolId! };
const outbox = new Outbox(socket, (error) => log.error(`send to the broker failed: ${error.message}`));
outbox.send([Back.READY, JSON.stringify(hello)]);
// Beats only while the event loop is free; a job that blocks it is vouched for by the hub, which sees the process run.
setInterval(() => outbox.send([Back.HEARTBEAT]), context.config.heartbeatInterval * 1000).unref();
for await (const [command, payload] of socket) {
  if (command?.toString() !== Back.JOBS || !payload) {
    log.error(`dropped an unknown message from the broker: ${command?.toString()}`);
    continue;
  }
  const results = [];
  for (const job of decode<JobDispatch[]>(payload)) results.push(await runJob(exports!, job, context.config.maxMessageBytes));
  outbox.send([Back.RESULTS, encode(results)]);
}

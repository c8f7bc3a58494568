import { pathToFileURL } from "node:url";
import { toErrorInfo } from "../util/errors.js";
import "../../stdlib/index.js"; // installs the KeyValueStore global before the script runs
import { tierUpSooner } from "../util/tier-up.js";
import { awaitRuntimeContext, followOwner, sendToOwner } from "../transport/children.js";
import { installContext } from "../client/context.js";
import { FRAME_OVERHEAD_BYTES, PROTOCOL_VERSION } from "../wire/context.js";
import { type HubToWorker, type WorkerToHub } from "../wire/ipc.js";
import { type WorkerHello } from "../wire/jobs.js";
import { BrokerLink } from "./link.js";
import { localPathOf } from "../transport/endpoints.js";
import { listenForLeasedJobs, workerSocketPath } from "../transport/lease.js";
import { runJob } from "./runner.js";
import { WorkerContext } from "../client/worker-context.js";

// A worker process: imports the run's bundle, then takes jobs from the broker one at a time.
// Heartbeats only beat while the event loop is free; a job that blocks it is vouched for by the hub,
// which sees the process run.
// In its environment, or, forked before its pool was asked for, from the hub (main.ts asked for it).
const context = await awaitRuntimeContext();
const run = installContext(new WorkerContext(context)); // the script's QueueManagers and store calls use it
followOwner(() => process.exit(0));

let exports: Record<string, unknown>;
process.setSourceMapsEnabled(true); // stacks of jobs point at the user's .ts lines
try {
  exports = (await import(pathToFileURL(context.bundle!).href)) as Record<string, unknown>;
  run.script.setExports(exports); // nested jobs, by function reference, travel by export name
} catch (error) {
  sendToOwner({ type: "fatal", error: toErrorInfo(error) } satisfies WorkerToHub, () => process.exit(1));
  await new Promise(() => {});
}

tierUpSooner();
const local = localPathOf(context.backend!) !== undefined;
const hello: WorkerHello = { version: PROTOCOL_VERSION, pid: process.pid, poolId: context.poolId! };
// A local worker takes a lone job straight from a QueueManager that holds its lease (runtime/transport/lease.ts);
// it listens before READY, so no lease names a socket that is not there yet.
const leaseSocket = local
  ? await listenForLeasedJobs(
      workerSocketPath(context.runDir, process.pid),
      context.config.maxMessageBytes + FRAME_OVERHEAD_BYTES,
      (frames) => link.takeLeased(frames),
      () => link.reportAnnounced(),
    )
  : undefined;
const link = new BrokerLink({
  endpoint: context.backend!,
  // A remote worker's id ends in its supervisor's secret: the host admits no one else as it.
  routingId: context.workerSecret === undefined ? context.workerId! : `${context.workerId}#${context.workerSecret}`,
  curve: run.clientKeys,
  hello: JSON.stringify(hello),
  heartbeatMs: context.config.heartbeatInterval * 1000,
  liveness: context.config.heartbeatLiveness,
  run: (job) => runJob(exports!, job, context.config.maxMessageBytes),
  runDir: local ? context.runDir : undefined,
  spinWaitUs: context.config.spinWait,
});

process.on("message", (message: HubToWorker) => {
  if (message.type === "stop") {
    link.close();
    leaseSocket?.close();
    process.exit(0);
  }
});

import { zeromq } from "../transport/zeromq.js";
import { rmSync } from "node:fs";
import { toErrorInfo } from "../util/errors.js";
import { optimiseWhenBusy, tierUpSooner } from "../util/tier-up.js";
import { awaitRuntimeContext, followOwner, sendToOwner } from "../transport/children.js";
import { bindAddress, localAddress, localPathOf } from "../transport/endpoints.js";
import { LocalRouter } from "../transport/local-router.js";
import { getLogger, setLogLevel } from "../config/logger.js";
import { FRAME_OVERHEAD_BYTES } from "../wire/context.js";
import { type HostToHub, type HubToHost } from "../wire/ipc.js";
import { handleMessage, type MessageHandlers } from "../util/message-handlers.js";
import { isResultsSocketPath } from "../transport/direct.js";
import { workerSocketPath } from "../transport/lease.js";
import { secureRunSockets } from "../transport/zap.js";
import { Activity } from "./activity.js";
import { Broker, type BrokerHooks } from "./broker.js";
import { Pool } from "../pool/pool.js";
import { discardPreforked } from "../pool/prefork.js";
import { RouterGroup } from "./router-group.js";

// The hub process: the broker and the worker pools it feeds. It runs apart from the host so a
// busy `main` never stalls job delivery, and its workers die with it.
const context = await awaitRuntimeContext();
setLogLevel(context.config.loggingLevel);
const log = getLogger("hub");
const send = (message: HubToHost, then?: () => void) => sendToOwner(message, then);
type PoolStatus = Extract<HubToHost, { type: "pool" }>;

// Frames past the message limit (plus room for headers) cost the sender its connection, not our memory.
const maxMessageSize = context.config.maxMessageBytes + FRAME_OVERHEAD_BYTES;
// The ZAP handler of --listen's CURVE sockets; the hub has no loopback TCP ones (below).
const { zap } = await secureRunSockets(context, { loopbackTcp: false });
// The host and local workers use unix sockets (runtime/transport/local-router.ts, local-link.ts).
const local = { frontend: localAddress(context.runDir, "frontend"), backend: localAddress(context.runDir, "backend") };
const localFrontend = await LocalRouter.bind(localPathOf(local.frontend)!, maxMessageSize);
const localBackend = await LocalRouter.bind(localPathOf(local.backend)!, maxMessageSize);
const zeromqRouters = context.config.socketProtocol === "ipc" ? await bindZeromqRouters() : undefined;
// The unix sockets carry nearly all messages: as the groups' primaries, their peers need no route.
const frontends = new RouterGroup(localFrontend);
const backends = new RouterGroup(localBackend);
if (zeromqRouters) {
  frontends.add(zeromqRouters.frontend);
  backends.add(zeromqRouters.backend);
}

/**
 * The broker's zeromq ROUTERs, for the owner's own zeromq peers (docs/protocol.md): socket files
 * in the run directory, with --protocol ipc only. On loopback TCP (the default) their ephemeral
 * ports were published nowhere, so nobody used them (the run's processes use unix sockets, remote
 * workers the ports of --listen), yet loading zeromq for them cost every run ~2 % of its start.
 */
async function bindZeromqRouters() {
  const { Router } = zeromq();
  // No high-water mark: a ROUTER silently drops what it cannot queue for a peer, and a client busy in
  // a long synchronous loop must find every result waiting for it (credit bounds what workers get).
  const frontend = new Router({ maxMessageSize, sendHighWaterMark: 0 });
  // handover: a worker that reconnects (it lost us) takes its routing id over from the dead connection.
  const backend = new Router({ maxMessageSize, handover: true, sendHighWaterMark: 0 });
  await frontend.bind(bindAddress("ipc", context.runDir, "frontend"));
  await backend.bind(bindAddress("ipc", context.runDir, "backend"));
  return { frontend, backend };
}

const pools = new Map<number, Pool>();
const poolOf = (workerId: string) => pools.get(Number(workerId.split(".")[0]));

// Counts go to the host at most every 20 ms, and only when they changed: each message wakes the
// host, and in a run of long jobs (their successors sent early, so every worker stays busy) nearly
// every job would send the same counts again, and wake the hub for its timer. The exception: a
// pool's last worker becoming ready goes at once, since startWorkers(), and so every run's start,
// waits for it.
let statusTimer: NodeJS.Timeout | undefined;
const sentStatus = new Map<number, string>();
function reportStatus(): void {
  if (statusTimer !== undefined) return;
  for (const pool of pools.values()) {
    if (sentStatus.get(pool.id) === statusKey(poolStatus(pool))) continue;
    statusTimer = setTimeout(reportStatusNow, 20);
    return;
  }
}
function reportStatusNow(): void {
  clearTimeout(statusTimer);
  statusTimer = undefined;
  for (const pool of pools.values()) {
    const status = poolStatus(pool);
    const key = statusKey(status);
    if (sentStatus.get(pool.id) === key) continue;
    sentStatus.set(pool.id, key);
    send(status);
  }
}
function poolStatus(pool: Pool): PoolStatus {
  return {
    type: "pool",
    poolId: pool.id,
    workers: pool.size,
    ...broker.counts(pool.id),
    remote: remote?.gateway.workerCount,
    remoteInPool: remote?.gateway.poolId === pool.id || undefined,
  };
}
const statusKey = (status: PoolStatus) => `${status.workers} ${status.ready} ${status.busy} ${status.remote} ${status.remoteInPool}`;

// With --listen: remote workers' sockets beside the local ones (runtime/remote/).
const remote = context.listen
  ? await (await import("./remote-listener.js"))
      .listenForWorkers({
        listen: context.listen,
        sockets: { frontend: frontends, backend: backends },
        config: context.config,
        maxMessageSize,
        hooks: {
          workerGone: (id, how, countAsLoss) => broker.workerGone(id, how, countAsLoss),
          changed: () => {
            reportStatus();
            checkDrained();
          },
        },
      })
      .catch(
        (error: Error) =>
          // A port in use: the host reports it (one line) and stops the run; nothing here goes on.
          new Promise<never>(() => send({ type: "fatal", error: toErrorInfo(error) }, () => process.exit(2))),
      )
  : undefined;
const tierUp = optimiseWhenBusy();
const withRemote = (hooks: BrokerHooks) => remote?.hooks(hooks) ?? hooks;

const broker = new Broker({
  frontend: frontends,
  backend: backends,
  hooks: withRemote({
    killWorker: (id) => poolOf(id)?.kill(id),
    releaseWorker: (id) => poolOf(id)?.release(id),
    isWorker: (id) => poolOf(id)?.has(id) ?? false,
    isRunning: (id) => poolOf(id)?.isRunning(id) ?? false,
    workerReady: (id) => {
      const pool = poolOf(id);
      pool?.registered(id);
      if (pool && broker.counts(pool.id).ready === pool.size) reportStatusNow();
    },
    changed: reportStatus,
    ended: (jobs) => tierUp?.ended(jobs),
    watchdogMs: (poolId) => pools.get(poolId)?.watchdogMs ?? 0,
    acceptsResultsSocket: (_client, path) => isResultsSocketPath(context.runDir, path),
    leaseSocketOf: (_id, pid) => workerSocketPath(context.runDir, pid), // every worker on this side is local
  }),
  limits: {
    maxLost: context.config.jobMaxLost,
    maxMemoryMb: context.config.workerMaxMemoryMb,
    heartbeatMs: context.config.heartbeatInterval * 1000,
    silenceMs: context.config.heartbeatInterval * context.config.heartbeatLiveness * 1000,
  },
});

/** The dashboard or metrics are on: what the hub knows of the workers and jobs goes to the host every `intervalMs`. */
function watch(intervalMs: number): void {
  if (watching) return;
  const activity = new Activity();
  broker.watch(activity);
  const places = {
    machineOf: (id: string) => remote?.gateway.hostnameOf(id),
    restartsOf: (poolId: number) => pools.get(poolId)?.restarts ?? 0,
  };
  watching = setInterval(() => send({ type: "activity", activity: activity.take(broker.workers, broker.waiting, places) }), intervalMs);
  watching.unref();
}
let watching: NodeJS.Timeout | undefined;

/** Shutting down on the host's request: no pool gets new jobs; "drained" once all are stopped. */
let draining = false;
function checkDrained(): void {
  if (draining && pools.size === 0 && !remote?.gateway.workerCount) send({ type: "drained" });
}
// The host's requests, one handler per type (runtime/wire/ipc.ts).
const hostMessages: MessageHandlers<HostToHub> = {
  "start-pool": ({ poolId, count, watchdogMs, kvs, bundle }) => {
    // listen: undefined keeps the host's CURVE secret key out of the workers' environment.
    const workerContext = { ...context, listen: undefined, ...local, kvs, bundle };
    const pool = new Pool({
      id: poolId,
      count,
      watchdogMs,
      context: workerContext,
      hooks: {
        gone: (id, how, countAsLoss) => broker.workerGone(id, how, countAsLoss),
        fatal: (error) => send({ type: "fatal", error }),
        needKvs: () => send({ type: "need-kvs" }),
        stopped: () => {
          pools.delete(poolId);
          sentStatus.delete(poolId);
          send({ type: "pool-stopped", poolId });
          checkDrained();
        },
      },
    });
    pools.set(poolId, pool);
    discardPreforked(); // those the first pool did not take: the guess was too high
    remote?.gateway.usePool(poolId, bundle);
    reportStatus(); // a pool of no local workers (--workers 0) is ready at once
  },
  "stop-pool": ({ poolId, noWait }) => {
    const pool = pools.get(poolId);
    if (pool) pool.stop(noWait, (id) => broker.retire(id));
    else send({ type: "pool-stopped", poolId });
  },
  "remote-kvs": ({ endpoint }) => remote?.gateway.useKvs(endpoint),
  watch: ({ intervalMs }) => watch(intervalMs),
  cancel: ({ ids }) => broker.cancelAnywhere(ids),
  drain: () => {
    draining = true;
    remote?.gateway.drain((id) => broker.retire(id));
    checkDrained();
    for (const pool of pools.values()) pool.stop(false, (id) => broker.retire(id));
  },
};
process.on("message", (message: HostToHub) => handleMessage(hostMessages, message));

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  clearInterval(watching);
  broker.close();
  await Promise.all([...pools.values()].map((pool) => pool.destroy()));
  await remote?.close();
  for (const socket of [zeromqRouters?.frontend, zeromqRouters?.backend, localFrontend, localBackend]) socket?.close();
  zap?.close();
  process.exit(0);
}
// A host that vanished (SIGKILL) could not remove its run directory: the hub outlives it briefly and does.
followOwner(() => {
  rmSync(context.runDir, { recursive: true, force: true });
  void shutdown();
});
process.on("SIGTERM", () => void shutdown());
process.on("uncaughtException", (error) => {
  if (closing) return;
  log.critical(`hub failed: ${error.stack}`);
  send({ type: "fatal", error: toErrorInfo(error) });
  void shutdown();
});

send({ type: "ready", frontend: local.frontend, gateway: remote?.endpoint });
tierUpSooner();

import { zeromq } from "../transport/zeromq.js";
import { tierUpSooner } from "../util/tier-up.js";
import { adoptRuntimeContext, followOwner, readRuntimeContext, restoreUserEnvironment, sendToOwner } from "../transport/children.js";
import { bindAddress, localPathOf } from "../transport/endpoints.js";
import { getLogger, setLogLevel } from "../config/logger.js";
import { FRAME_OVERHEAD_BYTES } from "../wire/context.js";
import { type HostToKvs, type KvsToHost } from "../wire/ipc.js";
import { secureRunSockets } from "../transport/zap.js";
import { localKvsAddress, publishEndpoint } from "../transport/kvs-discovery.js";
import type { Server } from "node:net";
import { serveLocal } from "./local.js";
import { KvsService, serve } from "./server.js";
import { Snapshots } from "./snapshots.js";
import { Store } from "./store.js";
import { Transactions } from "./transactions.js";

const { Router } = zeromq();

// The KVS process: one store, served to every process of the run.
restoreUserEnvironment();
const context = readRuntimeContext()!;
process.setSourceMapsEnabled(true); // transactions run the user's bundle here: map their stacks
const { config } = context;
setLogLevel(config.loggingLevel);
const log = getLogger("kvs");

const store = new Store();
let snapshots: Snapshots | undefined;
if (config.kvsSnapshot) {
  try {
    snapshots = Snapshots.open(config.kvsSnapshot, store, config.kvsSnapshotInterval);
  } catch (error) {
    // Never start (and later overwrite) over a snapshot we could not read.
    log.critical((error as Error).message);
    process.exit(2);
  }
}

// No high-water mark: a ROUTER drops answers it cannot queue for a client with thousands in flight.
const socketOptions = { linger: 1_000, maxMessageSize: config.kvsMaxValueBytes + FRAME_OVERHEAD_BYTES, sendHighWaterMark: 0 };
// On loopback TCP, CURVE with the run's own key: loopback answers every local user.
const { loopback: security } = await secureRunSockets(context);
const socket = new Router({ ...socketOptions, ...security });
// A restarted store (after stopServerProcess) takes its predecessor's endpoint, so workers that
// already know it reconnect to it.
await socket.bind(context.kvs ?? bindAddress(config.socketProtocol, context.runDir, "kvs"));
const endpoint = socket.lastEndpoint!;
// Remote clients' modules load only with --listen.
const remote = context.listen
  ? await (await import("./remote-listener.js")).listenForKvsClients(context.listen, context.remoteKvs, socketOptions)
  : undefined;
// The script's top level, loaded here for transact, may use KeyValueStore: it must reach this store.
adoptRuntimeContext({ ...context, kvs: endpoint });

let local: Server | undefined;
const stop = () => {
  snapshots?.close();
  local?.close();
  socket.close();
  process.exit(0);
};
followOwner(stop);
process.on("SIGTERM", stop);

const transactions = new Transactions(store, {
  timeoutMs: config.kvsTransactionTimeout,
  maxValueBytes: config.kvsMaxValueBytes,
  bundle: context.bundle,
});
process.on("message", (message: HostToKvs) => message.type === "bundle" && transactions.useBundle(message.path));
setInterval(() => store.purgeExpired(), 1_000).unref();

const service = new KvsService({ store, transactions, maxValueBytes: config.kvsMaxValueBytes });
// Clients on this machine use the local socket when it exists (nearestKvsEndpoint), others the ROUTER.
const localEndpoint = localKvsAddress(context.runDir);
try {
  local = await serveLocal(localPathOf(localEndpoint)!, service, config.kvsMaxValueBytes + FRAME_OVERHEAD_BYTES, config.spinWait);
} catch (error) {
  log.warning(`no local socket, clients use ${endpoint}: ${(error as Error).message}`);
}
// After the local socket: workers that find the store by this file (runtime/transport/kvs-discovery.ts) use it.
try {
  publishEndpoint(context.runDir, endpoint);
} catch (error) {
  log.warning(`could not publish the endpoint for \`strmbrkr kvs\`: ${(error as Error).message}`);
}
sendToOwner({ type: "ready", endpoint, remote: remote?.lastEndpoint ?? undefined } satisfies KvsToHost);
tierUpSooner();
log.debug(`serving on ${endpoint}${local ? ` and ${localEndpoint}` : ""}${remote ? ` and ${remote.lastEndpoint}` : ""}`);
// It stops when its host says so (SIGTERM) or leaves: no request over a socket can stop it.
void serve(socket, { service, spinWaitUs: config.spinWait });
if (remote) void serve(remote, { service, spinWaitUs: config.spinWait });

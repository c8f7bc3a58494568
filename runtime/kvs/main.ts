import { Router } from "zeromq";
import { followOwner, readRuntimeContext, sendToOwner } from "../children.js";
import { bindAddress } from "../endpoints.js";
import { getLogger, setLogLevel } from "../logger.js";
import { FRAME_OVERHEAD_BYTES, type KvsToHost } from "../protocol.js";
import { serve } from "./server.js";

// The KVS process: one store, served to every process of the run.
const context = readRuntimeContext()!;
process.setSourceMapsEnabled(true); // transactions run the user's bundle here: map their stacks
setLogLevel(context.config.loggingLevel);
const log = getLogger("kvs");
const socket = new Router({ linger: 1_000, maxMessageSize: context.config.maxMessageBytes + FRAME_OVERHEAD_BYTES });
// A restarted store (after stopServerProcess) takes its predecessor's endpoint, so workers that
// already know it reconnect to it.
await socket.bind(context.kvs ?? bindAddress(context.config.socketProtocol, context.runDir, "kvs"));

const stop = () => {
  socket.close();
  process.exit(0);
};
followOwner(stop);
process.on("SIGTERM", stop);

sendToOwner({ type: "ready", endpoint: socket.lastEndpoint! } satisfies KvsToHost);
log.debug(`serving on ${socket.lastEndpoint}`);
await serve(socket);
stop();

import { zeromq } from "../transport/zeromq.js";
import type { Config } from "../config/config.js";
import type { BrokerHooks } from "./broker.js";
import type { ListenContext } from "../wire/context.js";
import { Gateway, type GatewayHooks } from "../remote/gateway.js";
import { bind, portOf, remoteAddress, serverSecurity } from "../remote/listen.js";
import type { RouterGroup } from "./router-group.js";

const { Router } = zeromq();

/** Gateway messages are small JSON; anything bigger is not from a supervisor. */
const GATEWAY_MAX_MESSAGE_BYTES = 64 * 1024;
/** Before the routing ids of clients on the remote frontend, as the broker sees them. */
const REMOTE_CLIENT_TAG = Buffer.from("remote:");

/** The hub's side of --listen: the gateway, and the broker hooks for remote workers. */
export interface RemoteHub {
  gateway: Gateway;
  /** The gateway's bound address, for `strmbrkr worker --connect`. */
  endpoint: string;
  /** The broker's hooks, with remote workers' ids sent to the gateway. */
  hooks(local: BrokerHooks): BrokerHooks;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** The resolved --listen flags. */
  listen: ListenContext;
  /** The broker's groups of sockets, which the remote ones join. */
  sockets: { frontend: RouterGroup; backend: RouterGroup };
  /** The run's configuration, sent to remote supervisors. */
  config: Config;
  /** The broker's message size limit, frame overhead included. */
  maxMessageSize: number;
  hooks: GatewayHooks;
}

/**
 * Binds the CURVE (or, with --insecure, plain) TCP sockets remote workers use: gateway, backend
 * and frontend (the process's ZAP handler, started first, admits the allow-listed keys only); they
 * join the broker's groups of sockets. Local workers keep their own sockets, unencrypted.
 */
export async function listenForWorkers({ listen, sockets, config, maxMessageSize, hooks }: ListenOptions): Promise<RemoteHub> {
  const security = serverSecurity(listen);
  const gatewaySocket = new Router({ maxMessageSize: GATEWAY_MAX_MESSAGE_BYTES, linger: 500, ...security });
  const backend = new Router({ maxMessageSize, handover: true, sendHighWaterMark: 0, ...security }); // no HWM: see hub/hub.ts
  const frontend = new Router({ maxMessageSize, sendHighWaterMark: 0, ...security });
  await bind(backend, remoteAddress(listen, "backend"), "jobs");
  await bind(frontend, remoteAddress(listen, "frontend"), "nested submits");
  await bind(gatewaySocket, remoteAddress(listen, "gateway"), "the gateway");

  const gateway = new Gateway({
    socket: gatewaySocket,
    ports: { backend: portOf(backend.lastEndpoint!), frontend: portOf(frontend.lastEndpoint!) },
    config,
    hooks,
  });
  // A remote worker speaks as itself only: its routing id holds its supervisor's secret (Gateway.admitWorker).
  sockets.backend.add(backend, (id) => gateway.admitWorker(id));
  // QueueManagers set no routing id: zeromq gives each one that starts with a zero byte, which no
  // peer may choose, so one client cannot pose as another. Tagged apart from local ones.
  sockets.frontend.add(frontend, (id) => Buffer.concat([REMOTE_CLIENT_TAG, id]));

  return {
    gateway,
    endpoint: gatewaySocket.lastEndpoint!,
    hooks: (localHooks) => ({
      ...localHooks,
      killWorker: (id) => (Gateway.owns(id) ? gateway.kill(id) : localHooks.killWorker(id)),
      releaseWorker: (id) => (Gateway.owns(id) ? gateway.release(id) : localHooks.releaseWorker(id)),
      isWorker: (id) => (Gateway.owns(id) ? gateway.isWorker(id) : localHooks.isWorker(id)),
      isRunning: (id) => (Gateway.owns(id) ? gateway.isRunning(id) : localHooks.isRunning(id)),
      workerReady: (id) => (Gateway.owns(id) ? gateway.registered(id) : localHooks.workerReady(id)),
      leaseSocketOf: (id, pid) => (Gateway.owns(id) ? undefined : localHooks.leaseSocketOf(id, pid)),
      // A remote client's job ids are another machine's: a copy could reach a process here whose ids they match.
      acceptsResultsSocket: (client, path) =>
        !client.subarray(0, REMOTE_CLIENT_TAG.length).equals(REMOTE_CLIENT_TAG) && localHooks.acceptsResultsSocket(client, path),
    }),
    async close() {
      await gateway.close();
      for (const socket of [gatewaySocket, backend, frontend]) socket.close();
    },
  };
}

import { hostname } from "node:os";
import type { HostContext } from "../host/host-context.js";
import { LogTail } from "./log-tail.js";
import type { Registry } from "prom-client";
import { RunMonitor } from "./run-monitor.js";
import { DashboardServer } from "./server.js";
import { dashboardToken } from "./token.js";

/** How often the hub reports its activity, and so how fresh the page is. */
const ACTIVITY_MS = 1000;
const STORE_ENTRIES = 200;

export interface RunDashboard {
  /** The run is stopping (main returned, Ctrl-C, the page's Stop): the page says so. */
  stopping(): void;
  /** The page's last update says "stopped"; then every server closes. */
  close(): Promise<void>;
}

/**
 * `--dashboard` and `--metrics`: watches the hub, starts the servers and prints where they are,
 * one line each on stderr (the dashboard's with its token, as Jupyter prints its own). Rejects with
 * one line when an address cannot be bound.
 */
export async function startDashboard(host: HostContext, script: string): Promise<RunDashboard> {
  const { dashboard: pageAddress, metrics: metricsAddress } = host.config;
  const token = dashboardToken();
  const hub = host.hub();
  await hub.ready;
  hub.send({ type: "watch", intervalMs: ACTIVITY_MS });
  // Started once the addresses are printed: the page's log need not repeat its own token.
  const log = {
    tail: undefined as LogTail | undefined,
    get lines() {
      return this.tail?.lines ?? [];
    },
  };
  const monitor = new RunMonitor({
    script,
    hub,
    log,
    async store() {
      // The dashboard never starts the store: it asks one that runs (connecting to it the first time).
      if (host.runningKvsEndpoint === undefined) return undefined;
      const client = host.readyKvsClient ?? (await host.kvsClient());
      const overview = (await client.request("overview", [STORE_ENTRIES])) as { keys: number; operations: number; entries: [] };
      return { ...overview, at: Date.now() };
    },
  });
  let registry: Promise<Registry> | undefined;
  const metrics = () =>
    (registry ??= import("./metrics.js").then(({ runMetrics }) =>
      runMetrics(monitor, { hub: () => host.runningHub?.child.pid, store: () => host.kvsPid }),
    ));
  const servers: DashboardServer[] = [];
  try {
    if (pageAddress) {
      const actions = {
        cancel: (id: string) => host.runningHub?.send({ type: "cancel", ids: [id] }),
        stop: () => process.kill(process.pid, "SIGINT"),
      };
      const server = await DashboardServer.start({ address: pageAddress, token, metrics, page: { monitor, actions } });
      servers.push(server);
      announce("dashboard", `${urlOf(server)}/?token=${token}`, server);
    }
    if (metricsAddress && metricsAddress !== pageAddress) {
      const server = await DashboardServer.start({ address: metricsAddress, token, metrics });
      servers.push(server);
      announce("metrics", `${urlOf(server)}/metrics (token: ${token}, as Authorization: Bearer or ?token=)`, server);
    } else if (metricsAddress) process.stderr.write(`strmbrkr: metrics on ${urlOf(servers[0]!)}/metrics, with the dashboard's token\n`);
  } catch (error) {
    monitor.close();
    await Promise.all(servers.map((server) => server.close()));
    throw new Error(`--${servers.length === 0 && pageAddress ? "dashboard" : "metrics"}: ${(error as Error).message}`);
  }
  log.tail = new LogTail();
  return {
    stopping() {
      if (monitor.state === "running") monitor.state = "stopping";
    },
    async close() {
      monitor.state = "stopped";
      await Promise.all(servers.map((server) => server.close()));
      monitor.close();
      log.tail?.close();
    },
  };
}

/** The address as a browser elsewhere reaches it: this machine's name for a wildcard bind. */
function urlOf(server: DashboardServer): string {
  const { address, family, port } = server.address;
  const wildcard = address === "0.0.0.0" || address === "::";
  const host = wildcard ? hostname() : family === "IPv6" ? `[${address}]` : address;
  return `http://${host}:${port}`;
}

function announce(what: string, where: string, server: DashboardServer): void {
  process.stderr.write(`strmbrkr: ${what} on ${where}\n`);
  const { address } = server.address;
  if (!/^(127\.|::1$|::ffff:127\.)/.test(address))
    process.stderr.write(
      `strmbrkr: WARNING: the ${what} listens on ${address}, beyond this machine: anyone who reaches it with the token sees the run${what === "dashboard" ? " and can cancel jobs or stop it" : ""}; plain HTTP, so the token crosses the network in clear (tunnel it: ssh -L)\n`,
    );
}

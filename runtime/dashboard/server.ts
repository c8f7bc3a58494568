import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { packageUrl } from "../util/package-root.js";
import { DURATION_BOUNDS_MS, type CancelRequest } from "../wire/dashboard.js";
import type { RunMonitor } from "./run-monitor.js";
import { isToken } from "./token.js";

/** What the page's two buttons do: nothing else writes. */
export interface DashboardActions {
  /** Ends the job Cancelled, whichever QueueManager submitted it (an unknown id is ignored). */
  cancel(id: string): void;
  /** Stops the run as Ctrl-C does. */
  stop(): void;
}

export interface DashboardServerOptions {
  /** `HOST:PORT`, parsed already (runtime/config/config.ts parseHttpAddress). */
  address: string;
  token: string;
  /** /metrics: made on the first scrape (prom-client is ~90 modules: a run nobody scrapes does not load them). */
  metrics: () => Promise<Registry>;
  /** Absent: /metrics alone (`--metrics` without `--dashboard`). */
  page?: { monitor: RunMonitor; actions: DashboardActions };
}

const PUSH_MS = 1000;
const MAX_BODY_BYTES = 4096;
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/**
 * The dashboard's HTTP server: the page, its event stream, its two actions, and /metrics. Every
 * request needs the token: `?token=` once (it becomes a cookie, and the page is loaded again without
 * it), the cookie, or `Authorization: Bearer` (Prometheus). Actions take it only in a header
 * (`x-strmbrkr-token`, which the page reads from its own HTML), so a cookie alone, which another
 * site's form could make the browser send, never acts.
 */
export class DashboardServer {
  readonly #options: DashboardServerOptions;
  readonly #server: Server;
  readonly #streams = new Set<{ response: ServerResponse; last: number }>();
  readonly #cookie: string;
  #timer?: NodeJS.Timeout;
  #files = new Map<string, Buffer>();

  private constructor(options: DashboardServerOptions, server: Server, port: number) {
    this.#options = options;
    this.#server = server;
    this.#cookie = `strmbrkr_token_${port}`; // cookies ignore ports: two runs on one machine keep one each
  }

  /** Binds the address; rejects with one line (e.g. the port is taken). */
  static async start(options: DashboardServerOptions): Promise<DashboardServer> {
    const colon = options.address.lastIndexOf(":");
    const host = options.address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen on ${options.address}: ${error.code === "EADDRINUSE" ? "the port is in use" : error.message}`)),
      );
      server.listen(Number(options.address.slice(colon + 1)), host, resolve);
    });
    const dashboard = new DashboardServer(options, server, (server.address() as AddressInfo).port);
    server.on("request", (request, response) => dashboard.#handle(request, response));
    if (options.page) {
      dashboard.#timer = setInterval(() => dashboard.#push(), PUSH_MS);
      dashboard.#timer.unref();
    }
    return dashboard;
  }

  /** Where it listens: `{ host, port }` as bound. */
  get address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** Sends each page the last update (the run's state "stopped") and closes. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#options.page) this.#push(true);
    for (const { response } of this.#streams) response.end();
    this.#streams.clear();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://dashboard");
    const given = url.searchParams.get("token") ?? undefined;
    if (
      this.#options.page &&
      given !== undefined &&
      isToken(this.#options.token, given) &&
      request.method === "GET" &&
      url.pathname !== "/metrics"
    ) {
      // Into a cookie, and out of the address bar and the history.
      url.searchParams.delete("token");
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        "set-cookie": `${this.#cookie}=${this.#options.token}; HttpOnly; SameSite=Strict; Path=/`,
        location: `.${url.pathname}${url.search}`,
      });
      response.end();
      return;
    }
    const header = request.headers["x-strmbrkr-token"];
    const fromHeader = (typeof header === "string" ? header : undefined) ?? bearer(request.headers.authorization);
    const authorized = isToken(this.#options.token, fromHeader ?? given ?? cookie(request.headers.cookie, this.#cookie));
    if (!authorized)
      return send(response, 401, "text/plain", "strmbrkr: this dashboard needs its token: open the address the run printed at start\n");
    try {
      this.#route(request, response, url, fromHeader !== undefined);
    } catch (error) {
      send(response, 500, "text/plain", `strmbrkr: ${(error as Error).message}\n`);
    }
  }

  #route(request: IncomingMessage, response: ServerResponse, url: URL, tokenInHeader: boolean): void {
    const page = this.#options.page;
    const route = `${request.method} ${url.pathname}`;
    if (route === "GET /metrics") {
      this.#options.metrics().then(
        async (registry) => send(response, 200, registry.contentType, await registry.metrics()),
        (error: Error) => send(response, 500, "text/plain", `strmbrkr: ${error.message}\n`),
      );
      return;
    }
    if (!page) return send(response, 404, "text/plain", "strmbrkr: only /metrics here (--metrics); --dashboard serves the page\n");
    switch (route) {
      case "GET /":
        return send(response, 200, "text/html; charset=utf-8", this.#indexHtml());
      case "GET /app.js":
        return send(response, 200, "text/javascript; charset=utf-8", this.#file("app.js"));
      case "GET /app.css":
        return send(response, 200, "text/css; charset=utf-8", this.#file("app.css"));
      case "GET /events":
        return this.#openStream(response);
      case "GET /api/state":
        return sendJson(response, 200, page.monitor.update(page.monitor.slicesAfter(0).slices));
      case "POST /api/cancel":
      case "POST /api/stop":
        if (!tokenInHeader) return sendJson(response, 403, { error: "actions need the token in the x-strmbrkr-token header" });
        return this.#act(request, response, url.pathname === "/api/stop" ? "stop" : "cancel");
      default:
        return send(response, 404, "text/plain", `strmbrkr: no ${url.pathname} here\n`);
    }
  }

  #act(request: IncomingMessage, response: ServerResponse, action: "stop" | "cancel"): void {
    const { actions, monitor } = this.#options.page!;
    readBody(request, MAX_BODY_BYTES).then(
      (body) => {
        if (action === "stop") {
          if (monitor.state === "running") actions.stop();
          return sendJson(response, 200, { ok: true, state: monitor.state === "running" ? "stopping" : monitor.state });
        }
        let id: unknown;
        try {
          id = (JSON.parse(body) as Partial<CancelRequest>).id;
        } catch {
          return sendJson(response, 400, { error: 'cancel: the body must be JSON: {"id": "<job id>"}' });
        }
        if (typeof id !== "string" || !/^[\w.:-]{1,128}$/.test(id))
          return sendJson(response, 400, { error: `cancel: ${JSON.stringify(id)?.slice(0, 80)} is not a job id` });
        actions.cancel(id);
        sendJson(response, 200, { ok: true, id });
      },
      (error: Error) => sendJson(response, 413, { error: error.message }),
    );
  }

  #openStream(response: ServerResponse): void {
    const { monitor } = this.#options.page!;
    response.writeHead(200, { ...SECURITY_HEADERS, "content-type": "text/event-stream", connection: "keep-alive" });
    const { slices, last } = monitor.slicesAfter(0);
    const stream = { response, last };
    response.write(`data: ${JSON.stringify({ ...monitor.update(slices), bounds: DURATION_BOUNDS_MS })}\n\n`);
    this.#streams.add(stream);
    response.on("close", () => this.#streams.delete(stream));
  }

  /** An update to each open page: the same figures, with the slices each has not had; `final`: even to a page behind. */
  #push(final = false): void {
    if (this.#streams.size === 0) return;
    const { monitor } = this.#options.page!;
    const base = monitor.update([]);
    for (const stream of this.#streams) {
      const { slices, last } = monitor.slicesAfter(stream.last);
      stream.last = last;
      // A page that cannot keep up is not written to faster than it reads: the update is skipped.
      if (stream.response.writableNeedDrain && !final) continue;
      stream.response.write(`data: ${JSON.stringify({ ...base, slices })}\n\n`);
    }
  }

  #indexHtml(): string {
    const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return this.#file("index.html")
      .toString("utf8")
      .replaceAll("%STRMBRKR_TOKEN%", this.#options.token)
      .replaceAll("%STRMBRKR_TITLE%", escape(this.#options.page!.monitor.script));
  }

  /** A file of the page, read once (dist/web/, built by `npm run build`). */
  #file(name: string): Buffer {
    let file = this.#files.get(name);
    if (!file) {
      file = readFileSync(packageUrl(`dist/web/${name}`));
      this.#files.set(name, file);
    }
    return file;
  }
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { ...SECURITY_HEADERS, "content-type": type });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, "application/json", JSON.stringify(body));
}

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : undefined;
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new Error(`the body is over ${maxBytes} bytes`));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

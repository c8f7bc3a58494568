import inspector from "node:inspector";
import { createServer } from "node:net";
import { Worker } from "node:worker_threads";
import { StrmbrkrError } from "../util/errors.js";

/** `--inspect` alone: where `node --inspect` listens, so chrome://inspect finds it with no setup. */
export const DEFAULT_INSPECT_ADDRESS = "127.0.0.1:9229";

/** This process's inspector could not be opened as asked (a taken port, an address not of this machine). */
export class InspectError extends StrmbrkrError {
  constructor(message: string) {
    super("ERR_STRMBRKR_INSPECT", message);
  }
}

/** The inspector, open and listening. */
export interface OpenInspector {
  /** `ws://HOST:PORT/UUID`: what a CDP client connects to. */
  wsUrl: string;
  /** The same for Chrome's DevTools: paste it in the address bar. */
  devtoolsUrl: string;
  /** Blocks this thread until a debugger sends Runtime.runIfWaitingForDebugger (DevTools does as it attaches). */
  waitForDebugger(): void;
  /** Stops listening and drops the debugger's connection, so the process exits without waiting for it. */
  close(): void;
}

/**
 * Opens this process's inspector on `address` (`HOST:PORT`, an IPv6 host in brackets; port 0 picks
 * a free one), or takes the one already open (`node --inspect`). Anyone who reaches the port can run
 * code in this process, hence loopback by default. Throws InspectError when the port is taken or
 * the host is not this machine's, checked first: node itself only prints such a failure.
 */
export async function openInspector(address: string): Promise<OpenInspector> {
  let url = inspector.url();
  if (!url) {
    const colon = address.lastIndexOf(":");
    const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
    const port = Number(address.slice(colon + 1));
    if (port !== 0) await checkFree(host, port, address);
    inspector.open(port, host, false);
    url = inspector.url();
    if (!url) throw new InspectError(`--inspect: the inspector could not listen on ${address}`);
  }
  return {
    wsUrl: url,
    devtoolsUrl: `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${url.slice("ws://".length)}`,
    waitForDebugger: () => inspector.waitForDebugger(),
    close: () => inspector.close(),
  };
}

async function checkFree(host: string, port: number, address: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE")
        reject(new InspectError(`--inspect: ${address} is in use (another debugger?); --inspect=0 picks a free port`));
      else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND")
        reject(new InspectError(`--inspect: ${host} is not an address of this machine`));
      else reject(new InspectError(`--inspect: cannot listen on ${address} (${error.code ?? error.message})`));
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** A breakpoint at a function's first line, held until released. */
export interface FunctionBreakpoint {
  release(): Promise<void>;
}

interface ScriptLocation {
  scriptId: string;
  lineNumber: number;
  columnNumber: number;
}

/**
 * Sets a breakpoint at the first line of `fn`'s body, hit by its next call (once: it removes itself
 * as it pauses); undefined when `fn` has no source to break in (a native function).
 *
 * Why a worker thread: a session in this thread would be told of the pause by a callback run while
 * this thread is paused. A session a worker thread holds on this one (`connectToMainThread`) hears
 * of it on its own thread, as DevTools does; every session's debugger pauses at any session's
 * breakpoint, so the debugger the user attaches stops there.
 */
export async function breakAtFirstLine(fn: (...args: never[]) => unknown): Promise<FunctionBreakpoint | undefined> {
  const location = functionLocation(fn);
  if (!location) return undefined;
  const worker = new Worker(BREAKPOINT_THREAD, { eval: true, workerData: location });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once("error", reject);
      worker.once("message", (message: { error?: string }) =>
        message.error === undefined ? resolve() : reject(new Error(`inspector: ${message.error}`)),
      );
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return { release: async () => void (await worker.terminate()) };
}

// CommonJS, as an eval'd worker runs. The message listener holds the thread until it is terminated.
const BREAKPOINT_THREAD = `
const { Session } = require("node:inspector");
const { parentPort, workerData } = require("node:worker_threads");
parentPort.on("message", () => {});
const session = new Session();
session.connectToMainThread();
const post = (method, params) =>
  new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
(async () => {
  await post("Debugger.enable");
  const { breakpointId } = await post("Debugger.setBreakpoint", { location: workerData });
  session.on("Debugger.paused", ({ params }) => {
    if (params.hitBreakpoints && params.hitBreakpoints.includes(breakpointId))
      post("Debugger.removeBreakpoint", { breakpointId }).catch(() => {});
  });
  parentPort.postMessage({});
})().catch((error) => parentPort.postMessage({ error: error.message }));
`;

/** Where `fn`'s source starts (V8's [[FunctionLocation]]); a bound function's target's. */
function functionLocation(fn: (...args: never[]) => unknown): ScriptLocation | undefined {
  const session = new inspector.Session();
  session.connect();
  const key = Symbol.for("strmbrkr.replay.function");
  const global = globalThis as Record<symbol, unknown>;
  global[key] = fn;
  try {
    // An in-thread session answers at once, inside post.
    let objectId = answer<inspector.Runtime.EvaluateReturnType>((done) =>
      session.post("Runtime.evaluate", { expression: `globalThis[Symbol.for("strmbrkr.replay.function")]` }, done),
    ).result.objectId;
    for (let hops = 0; objectId !== undefined && hops < 8; hops++) {
      const properties = answer<inspector.Runtime.GetPropertiesReturnType>((done) =>
        session.post("Runtime.getProperties", { objectId: objectId!, ownProperties: true }, done),
      ).internalProperties;
      const location = properties?.find((property) => property.name === "[[FunctionLocation]]")?.value?.value as ScriptLocation | undefined;
      if (location) return location;
      objectId = properties?.find((property) => property.name === "[[TargetFunction]]")?.value?.objectId;
    }
    return undefined;
  } finally {
    delete global[key];
    session.disconnect();
  }
}

function answer<T>(post: (done: (error: Error | null, result: T) => void) => void): T {
  let settled: { error: Error | null; result: T } | undefined;
  post((error, result) => (settled = { error, result }));
  if (!settled) throw new Error("inspector: an in-thread session did not answer at once");
  if (settled.error) throw settled.error;
  return settled.result;
}

import { installContext, installedContext } from "../runtime/client/context.js";
import { resolveConfig } from "../runtime/config/config.js";
import { getLogger } from "../runtime/config/logger.js";
import { HostContext } from "../runtime/host/host-context.js";
import { readRuntimeContext } from "../runtime/transport/children.js";
import { WorkerContext } from "../runtime/client/worker-context.js";

export type RunContext = HostContext | WorkerContext;

/**
 * This process's run: the context its entry installed (the CLI's host, a worker's), else one made
 * now — a worker's from the environment, or, in a program using the library, a host's. The public
 * API looks it up once per object and hands it down; nothing below it reaches for it.
 */
export function currentRun(): RunContext {
  const installed = installedContext() as RunContext | undefined;
  if (installed) return installed;
  const runtime = readRuntimeContext();
  if (runtime) return installContext(new WorkerContext(runtime));
  return installContext(new HostContext(resolveConfig({ warn: (message) => getLogger("config").warning(message) })));
}

import type { Router } from "zeromq";
import { newKeyPair } from "../util/curve.js";
import type { ServerSecurity } from "../transport/run-keys.js";
import { ConfigError } from "../util/errors.js";
import type { ListenContext } from "../wire/context.js";
import { readAuthorizedKeys, readKeyPair } from "../transport/key-files.js";
import { ZAP_DOMAIN } from "../transport/zap.js";

/** `strmbrkr run` flags about remote workers, as given. */
export interface ListenFlags {
  listen?: string;
  key?: string;
  authorizedKeys?: string;
  insecure?: boolean;
}

/** Port offsets from the --listen port: one port per socket, so a firewall opens four in a row. */
const PORT_OFFSETS = { gateway: 0, backend: 1, frontend: 2, kvs: 3 } as const;
export type RemoteSocket = keyof typeof PORT_OFFSETS;

const ADDRESS = /^tcp:\/\/([A-Za-z0-9.\-_]+|\*):(\d+|\*)$/;

/**
 * Validates the flags once, at the edge: reads the key files and returns what the hub and the KVS
 * need, or undefined without --listen. Throws ConfigError with one line naming the flag.
 */
export function resolveListen(flags: ListenFlags): ListenContext | undefined {
  if (flags.listen === undefined) {
    const stray =
      flags.key !== undefined
        ? "--key"
        : flags.authorizedKeys !== undefined
          ? "--authorized-keys"
          : flags.insecure
            ? "--insecure"
            : undefined;
    if (stray) throw new ConfigError(`${stray} applies only with --listen tcp://HOST:PORT`);
    return undefined;
  }
  const match = ADDRESS.exec(flags.listen);
  if (!match)
    throw new ConfigError(
      `--listen ${JSON.stringify(flags.listen)}: expected tcp://HOST:PORT (e.g. tcp://0.0.0.0:5555; PORT * picks free ports)`,
    );
  if (match[2] !== "*" && Number(match[2]) > 65_532)
    throw new ConfigError(`--listen ${flags.listen}: the port must be at most 65532 (it and the next three are used)`);
  const address = `tcp://${match[1] === "*" ? "0.0.0.0" : match[1]}:${match[2]}`;
  if (flags.insecure) {
    if (flags.key !== undefined || flags.authorizedKeys !== undefined)
      throw new ConfigError("--insecure turns keys off: drop --key and --authorized-keys, or drop --insecure");
    return { address };
  }
  if (flags.authorizedKeys === undefined) {
    throw new ConfigError(
      "--listen needs --authorized-keys FILE (the public keys of the workers it admits; make keys with `strmbrkr keygen`), or --insecure to accept anyone unencrypted",
    );
  }
  const authorized = readAuthorizedKeys(flags.authorizedKeys, "--authorized-keys");
  // Without --key the run gets a fresh server key, printed at start for the workers' --server-key.
  const pair = flags.key !== undefined ? readKeyPair(flags.key, "--key") : newKeyPair();
  return { address, curve: { ...pair, authorized } };
}

/** Where one of the remote sockets binds: the --listen port plus its offset, or a free port for `*` and 0. */
export function remoteAddress({ address }: ListenContext, socket: RemoteSocket): string {
  const [, host, port] = ADDRESS.exec(address)!;
  const base = port === "*" ? 0 : Number(port);
  return `tcp://${host}:${base === 0 ? "*" : base + PORT_OFFSETS[socket]}`;
}

/** Socket options of a CURVE server socket (ZAP checks each client against the allow-list), or none with --insecure. */
export function serverSecurity(listen: ListenContext): ServerSecurity {
  return listen.curve ? { curveServer: true, curveSecretKey: listen.curve.secretKey, zapDomain: ZAP_DOMAIN } : {};
}

/** The TCP port of a bound endpoint (`tcp://host:port`). */
export const portOf = (endpoint: string) => Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));

/** Binds, or throws an Error whose message says which port of --listen failed and why. */
export async function bind(socket: Router, address: string, what: string): Promise<void> {
  try {
    await socket.bind(address);
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    throw new Error(
      `--listen: cannot bind ${address} (${what}): ${code === "EADDRINUSE" ? "the port is in use (the next three ports must be free too)" : message}`,
    );
  }
}

/**
 * What a run exposes to other users of the machine, read from /proc as root: its listening
 * sockets (TCP and unix) and the public keys in its processes' contexts.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNTIME_ENV } from "../../runtime/wire/context.js";
import { processesOf } from "./cli.js";

/** A listening socket: `tcp` HOST:PORT, or `unix` a path (`@name` for the abstract namespace). */
export interface Target {
  label: string;
  tcp?: string;
  unix?: string;
}

/** What a process of a run is, from its command line. */
function roleOf(pid: number): string {
  let command = "";
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, "latin1");
  } catch {
    // gone while we looked
  }
  const role = /runtime\/(hub|kvs|worker)\/main\.js/.exec(command)?.[1] ?? "host";
  return `${role} ${pid}`;
}

/** An address of /proc/net/tcp{,6} ("0100007F:9C40") as HOST:PORT; any-address becomes loopback. */
function tcpAddress(hex: string, v6: boolean): string {
  const [ip, port] = hex.split(":") as [string, string];
  // Each 32-bit word is in the host's (little-endian) byte order.
  const bytes = Buffer.from(ip, "hex");
  for (let at = 0; at < bytes.length; at += 4) bytes.subarray(at, at + 4).reverse();
  let host: string;
  if (!v6) host = [...bytes].join(".");
  else if (bytes.subarray(0, 12).equals(Buffer.from("00000000000000000000ffff", "hex"))) host = [...bytes.subarray(12)].join(".");
  else host = `[${(bytes.toString("hex").match(/.{4}/g) ?? []).join(":")}]`;
  if (host === "0.0.0.0") host = "127.0.0.1";
  if (host === `[${"0000:".repeat(7)}0000]`) host = "[::1]";
  return `${host}:${parseInt(port, 16)}`;
}

/**
 * Every listening socket of a run: its processes' socket inodes (/proc/PID/fd) matched against
 * /proc/net/tcp, tcp6 (LISTEN) and unix (listening), plus any socket file in its run directory.
 */
export function listenersOf(instanceId: string): Target[] {
  const owners = new Map<string, string>();
  for (const pid of processesOf(instanceId)) {
    const role = roleOf(pid);
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone while we looked
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode && !owners.has(inode)) owners.set(inode, role);
      } catch {
        // closed while we looked
      }
    }
  }
  const targets: Target[] = [];
  for (const [file, v6] of [
    ["/proc/net/tcp", false],
    ["/proc/net/tcp6", true],
  ] as const) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, "utf8").trim().split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const owner = owners.get(fields[9]!);
      if (fields[3] !== "0A" || !owner) continue;
      const tcp = tcpAddress(fields[1]!, v6);
      targets.push({ label: `tcp ${tcp} (${owner})`, tcp });
    }
  }
  const paths = new Set<string>();
  for (const line of readFileSync("/proc/net/unix", "utf8").trim().split("\n").slice(1)) {
    const [, , , flags, , , inode, path] = line.trim().split(/\s+/);
    const owner = owners.get(inode!);
    if (!owner || !path || (parseInt(flags!, 16) & 0x10000) === 0) continue; // __SO_ACCEPTCON: listening
    paths.add(path);
    targets.push({ label: `unix ${path} (${owner})`, unix: path });
  }
  for (const dir of readdirSync(tmpdir()).filter((name) => name.startsWith(`strmbrkr-${instanceId}-`))) {
    for (const name of readdirSync(join(tmpdir(), dir))) {
      const path = join(tmpdir(), dir, name);
      if (lstatSync(path).isSocket() && !paths.has(path)) targets.push({ label: `unix ${path} (file in the run directory)`, unix: path });
    }
  }
  return targets;
}

/** The RuntimeContext of each process of a run that has one in its environment. */
export function contextsOf(instanceId: string): Record<string, unknown>[] {
  const contexts: Record<string, unknown>[] = [];
  for (const pid of processesOf(instanceId)) {
    try {
      const entry = readFileSync(`/proc/${pid}/environ`, "utf8")
        .split("\0")
        .find((name) => name.startsWith(`${RUNTIME_ENV}=`));
      if (entry) contexts.push(JSON.parse(entry.slice(RUNTIME_ENV.length + 1)) as Record<string, unknown>);
    } catch {
      // gone while we looked
    }
  }
  return contexts;
}

/** Every CURVE public key in a run's contexts (`publicKey`, `serverKey`; never a secret one): an intruder may know them all. */
export function publicKeysIn(value: unknown, found = new Set<string>()): Set<string> {
  if (value && typeof value === "object") {
    for (const [name, inner] of Object.entries(value)) {
      if ((name === "publicKey" || name === "serverKey") && typeof inner === "string") found.add(inner);
      else publicKeysIn(inner, found);
    }
  }
  return found;
}

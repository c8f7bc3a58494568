import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/** Clock ticks a second in /proc/<pid>/stat (USER_HZ): 100 on every Linux Node runs on. */
const TICKS_PER_SECOND = 100;

/** A process's CPU use between two samples, as a share of one core, from /proc (Linux; elsewhere none). */
export class CpuSampler {
  #last = new Map<number, { ticks: number; at: number }>();

  /** Percent of one core since the last call for `pid`; undefined on the first call or without /proc. */
  percent(pid: number, now = Date.now()): number | undefined {
    const ticks = cpuTicks(pid);
    if (ticks === undefined) return undefined;
    const last = this.#last.get(pid);
    this.#last.set(pid, { ticks, at: now });
    if (!last || now <= last.at) return undefined;
    return Math.round(((ticks - last.ticks) / TICKS_PER_SECOND / ((now - last.at) / 1000)) * 1000) / 10;
  }

  /** Drops the samples of processes not in `alive`. */
  forget(alive: ReadonlySet<number>): void {
    for (const pid of this.#last.keys()) if (!alive.has(pid)) this.#last.delete(pid);
  }
}

/** A process's resident memory (VmRSS of /proc/<pid>/status), in bytes; undefined without /proc. */
export function residentBytes(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/** utime + stime: fields 14 and 15, counted after the command's closing parenthesis (a command may hold spaces). */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

let allowedCpus: number | undefined;
const readLoadavg = () => readFileSync("/proc/loadavg", "latin1");

/**
 * Whether more threads are runnable at this moment than this process may use CPUs: the fourth field
 * of /proc/loadavg (`runnable/total`, the reader among them). True where /proc cannot say.
 * (`read` and `cpus`: tests pass their own.)
 */
export function cpusOversubscribed(read: () => string = readLoadavg, cpus = (allowedCpus ??= availableParallelism())): boolean {
  try {
    const runnable = Number(read().split(" ")[3]?.split("/")[0]);
    return !(runnable <= cpus);
  } catch {
    return true;
  }
}

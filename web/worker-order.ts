import type { WorkerView } from "../runtime/wire/dashboard.js";

/** "1.2" before "1.10": one collator for all comparisons (localeCompare with options builds one per call). */
export const naturalOrder = new Intl.Collator(undefined, { numeric: true }).compare;

/** The order workers are listed and drawn in: local ones first, then by machine, then by id. */
export function compareWorkers(a: Pick<WorkerView, "id" | "machine">, b: Pick<WorkerView, "id" | "machine">): number {
  return Number(a.machine !== "local") - Number(b.machine !== "local") || naturalOrder(a.machine, b.machine) || naturalOrder(a.id, b.id);
}

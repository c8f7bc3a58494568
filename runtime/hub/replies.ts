import type { Outbox } from "../transport/outbox.js";
import { packBatches } from "../wire/job-batch.js";
import { resultJson } from "../wire/job-json.js";
import { Front, type JobResult } from "../wire/jobs.js";

/**
 * Results the broker answers itself (failures: lost, cancelled, timed out; results it re-packs),
 * gathered per client while one message is handled, then sent as one message per client.
 */
export class Replies {
  #front: Outbox;
  #pending = new Map<Buffer, JobResult[]>();

  constructor(front: Outbox) {
    this.#front = front;
  }

  /** `client`: the broker's one Buffer for that client (Broker #intern), so its results gather under one key. */
  add(client: Buffer, result: JobResult): void {
    let pending = this.#pending.get(client);
    if (!pending) this.#pending.set(client, (pending = []));
    pending.push(result);
  }

  flush(): void {
    for (const [client, results] of this.#pending) {
      for (const message of packBatches(Front.RESULTS, results, "value", resultJson)) this.#front.send([client, ...message]);
    }
    this.#pending.clear();
  }
}

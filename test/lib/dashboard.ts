import { request, type IncomingMessage } from "node:http";
import type { DashboardUpdate } from "../../runtime/wire/dashboard.js";
import type { Launched } from "./remote.js";

export interface Dashboard {
  /** http://HOST:PORT */
  base: string;
  token: string;
  /** The address the run printed, token included. */
  url: string;
}

/** The dashboard's address and token, from the line the run prints at start. */
export async function dashboardOf(run: Launched): Promise<Dashboard> {
  const [url, base, token] = await run.waitFor(/dashboard on (http:\/\/[^/\s]+)\/\?token=([\w-]+)/, "stderr");
  return { url: url!.slice("dashboard on ".length), base: base!, token: token! };
}

export interface Answer {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

/** One HTTP request, its whole answer. */
export function fetchText(
  url: string,
  { method = "GET", headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = request(url, { method, headers }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body: text }));
    });
    call.on("error", reject);
    call.end(body);
  });
}

/** The page's event stream, read as the page reads it: `next(test)` resolves with the first update after the last it gave that passes. */
export function openEvents(
  dashboard: Dashboard,
): Promise<{ next(test?: (update: DashboardUpdate) => boolean): Promise<DashboardUpdate>; updates: DashboardUpdate[]; close(): void }> {
  return new Promise((resolve, reject) => {
    const updates: DashboardUpdate[] = [];
    /** Updates before it were handed out (or passed over) by `next`. */
    let cursor = 0;
    const waiters = new Set<() => void>();
    const call = request(`${dashboard.base}/events`, { headers: { authorization: `Bearer ${dashboard.token}` } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`/events answered ${response.statusCode}`));
      let buffer = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (message.startsWith("data: ")) updates.push(JSON.parse(message.slice("data: ".length)) as DashboardUpdate);
          for (const waiter of [...waiters]) waiter();
        }
      });
      response.on("end", () => {
        for (const waiter of [...waiters]) waiter();
      });
      resolve({
        updates,
        close: () => call.destroy(),
        next(test = () => true) {
          return new Promise((resolveNext, rejectNext) => {
            const check = () => {
              const index = updates.findIndex((update, i) => i >= cursor && test(update));
              if (index >= 0) {
                cursor = index + 1;
                waiters.delete(check);
                resolveNext(updates[index]!);
              } else if (response.complete) {
                waiters.delete(check);
                rejectNext(new Error(`the event stream ended before the update waited for (${updates.length} updates)`));
              }
            };
            waiters.add(check);
            check();
          });
        },
      });
    });
    call.on("error", reject);
    call.end();
  });
}

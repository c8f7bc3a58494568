import type { CancelRequest } from "../runtime/wire/dashboard.js";

/** The page's two actions: cancel a job, stop the run. Both carry the token the server put in the page. */

/** The token from `<meta name="strmbrkr-token">`; the server substituted it into index.html. */
function token(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="strmbrkr-token"]')?.content ?? "";
}

/** Resolves with the server's answer, or rejects with an Error whose message is one line to show. */
async function post(path: string, body?: unknown): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    // Relative URL: the page may sit behind a reverse proxy under a path.
    response = await fetch(path, {
      method: "POST",
      headers: { "x-strmbrkr-token": token(), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error("the dashboard's server did not answer");
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw new Error(typeof answer.error === "string" ? answer.error : `${response.status} ${response.statusText}`);
  return answer;
}

export const cancelJob = (id: string) => post("api/cancel", { id } satisfies CancelRequest);

export const stopRun = () => post("api/stop");

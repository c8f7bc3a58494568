// A page connected to a run's dashboard, played by the bench: it waits for the line the run prints
// on stderr, then reads GET /events with the token, as the page does, until the run closes it.
import { get } from "node:http";

const DASHBOARD_LINE = /strmbrkr: dashboard on (http:\/\/\S+?)\/\?token=(\S+)/;

/** A page for one run: give the run `onStderr`; once it has exited, `read()` says what the page got. */
export function dashboardPage() {
  let seen = "";
  let reading;
  return {
    onStderr(chunk) {
      if (reading) return;
      seen += chunk;
      const match = DASHBOARD_LINE.exec(seen);
      if (!match) return;
      reading = readEvents(`${match[1]}/events`, match[2]);
      reading.catch(() => {}); // read() rejects with it once the run is over, not the bench now
    },
    /** `{ updates, state }`: the updates read and the run's state in the last (0 and undefined: no page). */
    read: () => reading ?? Promise.resolve({ updates: 0, state: undefined }),
  };
}

/** Reads the event stream until the server ends it; every update is parsed, as the page would. */
function readEvents(url, token) {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`GET ${url}: ${response.statusCode}`));
      }
      let buffer = "";
      let updates = 0;
      let state;
      response.setEncoding("utf8");
      response.on("data", (chunk) => {
        buffer += chunk;
        const events = buffer.split("\n\n");
        buffer = events.pop();
        try {
          for (const event of events) {
            const data = event.split("\n").find((line) => line.startsWith("data: "));
            if (!data) continue;
            state = JSON.parse(data.slice(6)).run.state;
            updates++;
          }
        } catch (error) {
          reject(new Error(`GET ${url}: an update the page could not read: ${error.message}`));
          response.destroy();
        }
      });
      // "close", not "end": a run that dies mid-stream still tells what the page had by then.
      response.on("close", () => resolve({ updates, state }));
    });
    request.on("error", reject);
  });
}

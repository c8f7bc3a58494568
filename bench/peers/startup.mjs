// The start-up peer: fork 4 Node processes that import zeromq, wait until all report ready, stop them, exit.
// The driver times this program from command to exit, as it times `strmbrkr run` of a hello-world script.
import { fork } from "node:child_process";

const CHILDREN = 4;
const child = new URL("./startup-child.mjs", import.meta.url);
const children = Array.from({ length: CHILDREN }, () => fork(child));
await Promise.all(
  children.map(
    (proc) =>
      new Promise((resolve, reject) => {
        proc.once("message", resolve);
        proc.once("exit", (code) => reject(new Error(`child exited ${code} before ready`)));
      }),
  ),
);
await Promise.all(
  children.map(
    (proc) =>
      new Promise((resolve) => {
        proc.removeAllListeners("exit");
        proc.once("exit", resolve);
        proc.disconnect();
      }),
  ),
);
console.log(JSON.stringify({ children: CHILDREN }));

// piscina's task functions: the default export echoes (tiny jobs, latency); `work` burns CPU.
import { burn } from "../lib/burn.mjs";

export default (n) => n;
export const work = (iterations) => burn(iterations);

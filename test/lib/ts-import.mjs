// `node --import ./test/lib/ts-import.mjs file.ts`: runs a test written in TypeScript (see ts-hooks.mjs).
import { register } from "node:module";

register("./ts-hooks.mjs", import.meta.url);

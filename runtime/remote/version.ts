import { readFileSync } from "node:fs";

/** This installation's strmbrkr version: a remote worker must run the same one as its host. */
export const STRMBRKR_VERSION: string = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;

// yargs for the CLI. `npm run build` replaces this module's output with one esbuild bundle of yargs
// and its dependencies: loading ~40 small ESM files cost ~50 ms of every command's start, one file ~28 ms.
export { default } from "yargs";
export { hideBin } from "yargs/helpers";

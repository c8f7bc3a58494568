// Module hooks that let Node run the tests' TypeScript: esbuild strips the types of each .ts file
// (types are checked by `tsc -p test/tsconfig.json` in `npm test`, not here), and a file import
// of "x.js" (a relative path or a file: URL, e.g. t.mockImport's) finds "x.ts" when there is no x.js, as tsc resolves it.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const js = /^(?:\.\.?\/|\/|file:)[^?#]*\.js(?=[?#]|$)/;
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !js.test(specifier)) throw error;
    return nextResolve(
      specifier.replace(js, (path) => `${path.slice(0, -3)}.ts`),
      context,
    );
  }
}

export async function load(url, context, nextLoad) {
  // A query stays on the URL (t.mockImport adds one) but names the same file.
  if (!url.startsWith("file:") || !/\.[mc]?ts(?:[?#]|$)/.test(url)) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const { code } = await transform(await readFile(path, "utf8"), {
    loader: "ts",
    format: "esm",
    target: `node${process.versions.node.split(".")[0]}`,
    sourcemap: "inline",
    sourcefile: path,
  });
  return { format: "module", source: code, shortCircuit: true };
}

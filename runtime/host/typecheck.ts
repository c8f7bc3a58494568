import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import type { CompilerOptions, Diagnostic } from "typescript";
import { PACKAGE_ROOT } from "../util/package-root.js";

type TypeScript = typeof import("typescript");

/** The types of `import … from "strmbrkr"`: this installation's, as a run resolves it to this installation. */
export const STDLIB_TYPES = join(PACKAGE_ROOT, "dist/stdlib/index.d.ts");

/** The folder holding `@types/node` as this installation resolves it (its own node_modules or a hoisted one). */
export function nodeTypeRoot(): string {
  return dirname(dirname(createRequire(join(PACKAGE_ROOT, "package.json")).resolve("@types/node/package.json")));
}

/**
 * The compiler options of a job script, as `strmbrkr init` writes them to tsconfig.json and
 * `--typecheck` uses them for a script with no tsconfig.json of its own: esbuild's resolution
 * (module `ESNext`, resolution `Bundler`), strict, and the types of strmbrkr and of Node found by
 * absolute path in this installation, so they resolve from any folder, with no node_modules.
 */
export function scriptCompilerOptions(): Record<string, unknown> {
  return {
    target: "ES2022",
    module: "ESNext",
    moduleResolution: "Bundler",
    lib: ["ES2023"],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    verbatimModuleSyntax: true,
    allowImportingTsExtensions: true,
    types: ["node"],
    typeRoots: [nodeTypeRoot()],
    paths: { strmbrkr: [STDLIB_TYPES] },
  };
}

/**
 * Type-checks `script` and what it imports with TypeScript (loaded only here: it is slow to load). The options
 * are those of the nearest tsconfig.json above the script, or `scriptCompilerOptions()` without
 * one; either way `strmbrkr` means this installation, as in the run. Resolves with one
 * `file:line:col: error TSnnnn: message` line per error (file relative to the working directory);
 * empty when the script type-checks.
 */
export async function typecheckScript(script: string): Promise<string[]> {
  const ts: TypeScript = (await import("typescript")).default;
  const path = resolve(script);
  const configPath = ts.findConfigFile(dirname(path), ts.sys.fileExists);
  let options: CompilerOptions;
  if (configPath) {
    const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
    if (error) return [format(ts, error)];
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath), undefined, configPath);
    // Its include/files do not matter here (the script is the one root): "no inputs" is no error.
    const errors = parsed.errors.filter((diagnostic) => diagnostic.code !== 18003);
    if (errors.length > 0) return errors.map((diagnostic) => format(ts, diagnostic));
    options = parsed.options;
  } else {
    options = ts.convertCompilerOptionsFromJson(scriptCompilerOptions(), dirname(path)).options;
  }
  options = {
    ...options,
    noEmit: true,
    declaration: false,
    emitDeclarationOnly: false,
    paths: { ...options.paths, strmbrkr: [STDLIB_TYPES] },
  };
  const program = ts.createProgram([path], options);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)
    .map((diagnostic) => format(ts, diagnostic));
}

function format(ts: TypeScript, diagnostic: Diagnostic): string {
  const message = `error TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, " ")}`;
  if (!diagnostic.file || diagnostic.start === undefined) return message;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `${relative(process.cwd(), diagnostic.file.fileName) || diagnostic.file.fileName}:${line + 1}:${character + 1}: ${message}`;
}

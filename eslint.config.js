// ESLint: ESLint's and typescript-eslint's recommended rules, less the few this code disagrees with
// (each says why), no type-aware rules (a run takes seconds), and the layer rule: a folder imports
// only the folders below it (docs/architecture.md). `npm run lint` runs it with the format check.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

/**
 * The layers, bottom to top. A folder may import the folders of lower rank and, unless it is one of
 * the separate processes below, those of its own rank. Nothing imports a higher layer.
 */
export const LAYERS = [
  ["runtime/util"],
  ["runtime/config"],
  ["runtime/wire"],
  ["runtime/transport"],
  ["runtime/client"],
  ["runtime/pool", "runtime/remote"],
  ["runtime/hub", "runtime/kvs", "runtime/supervisor", "runtime/worker"],
  ["runtime/host"],
  ["runtime/dashboard"],
  ["stdlib"],
  ["cli"],
];

/** Each is its own process: they share the layers below them, never each other's code. */
export const SEPARATE = ["runtime/hub", "runtime/kvs", "runtime/supervisor", "runtime/worker"];

/** The one import up: the worker installs the public KeyValueStore global before a job script runs. */
export const EXCEPTIONS = { "runtime/worker/worker.ts": { stdlib: ["index.js"] } };

/**
 * The pages run by a browser (the dashboard, the journal's HTML report): outside the layers. They
 * import npm packages and, of the Node code, the files that say what they are sent: the dashboard's
 * updates, the report's data; no layer imports them.
 */
export const BROWSER = { folder: "web", imports: { "runtime/wire": ["dashboard.js", "journal-report.js"] } };

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((folder) => [folder, i])));
const leaf = (folder) => folder.split("/").at(-1);
const leaves = [...rank.keys(), BROWSER.folder].map(leaf);
if (new Set(leaves).size !== leaves.length)
  throw new Error("eslint.config.js: layer folders need distinct names (the rule matches them by name)");

/** The folders `folder` must not import, each with the reason. */
function forbidden(folder) {
  if (folder === BROWSER.folder) {
    const allowed = Object.entries(BROWSER.imports).flatMap(([other, files]) => files.map((file) => `${other}/${file}`));
    const why = `${folder} is the browser's page: of the Node code it imports ${allowed.join(", ")} alone`;
    return [...rank.keys()].map((other) => ({ folder: other, why }));
  }
  const page = { folder: BROWSER.folder, why: `${BROWSER.folder} is the browser's page: ${folder} may not import it` };
  const above = [...rank.keys()].filter((other) => rank.get(other) > rank.get(folder));
  const siblings = SEPARATE.includes(folder) ? SEPARATE.filter((other) => other !== folder) : [];
  return [
    ...above.map((other) => ({ folder: other, why: `${other} is a layer above ${folder}; a layer imports only the layers below it` })),
    ...siblings.map((other) => ({
      folder: other,
      why: `${folder} may not import ${other}: hub, kvs, supervisor and worker are separate processes and never import each other`,
    })),
    page,
  ];
}

/**
 * A regular expression for relative specifiers that reach into `folder`: any path segment naming it
 * ("../host/x.js", "../../stdlib/index.js"). `allowed` lists files of it that may still be imported.
 * Written for both rules: no-restricted-imports compiles it, no-restricted-syntax puts it in a selector.
 */
function reaching(folder, allowed = []) {
  const except = allowed.length > 0 ? `(?!(?:${allowed.map((file) => file.replaceAll(".", "\\.")).join("|")})$)` : "";
  return `^\\.\\.?\\/(?:.*\\/)?${leaf(folder)}\\/${except}`;
}

/** The layer rule for the files of `folder` (or one file of it, with its exceptions). */
function layerRules(folder, exceptions = {}) {
  const rules = forbidden(folder).map(({ folder: other, why }) => ({
    regex: reaching(other, exceptions[other]),
    message: `${why} (docs/architecture.md).`,
  }));
  return {
    // Static imports and re-exports, `import type` too.
    "no-restricted-imports": ["error", { patterns: rules.map(({ regex, message }) => ({ regex, message, caseSensitive: true })) }],
    // What no-restricted-imports does not look at: import("…") and the type `typeof import("…")`.
    "no-restricted-syntax": [
      "error",
      ...rules.flatMap(({ regex, message }) => [
        { selector: `ImportExpression[source.value=/${regex}/]`, message },
        { selector: `TSImportType[source.value=/${regex}/]`, message },
      ]),
    ],
  };
}

const layers = [...rank.keys()].flatMap((folder) => {
  const files = [`${folder}/**/*.ts`];
  const own = Object.entries(EXCEPTIONS).filter(([file]) => file.startsWith(`${folder}/`));
  return [
    { name: `layers/${folder}`, files, rules: layerRules(folder) },
    ...own.map(([file, exceptions]) => ({ name: `layers/${file}`, files: [file], rules: layerRules(folder, exceptions) })),
  ];
});
const browser = {
  name: `layers/${BROWSER.folder}`,
  files: [`${BROWSER.folder}/**/*.{ts,tsx}`],
  rules: layerRules(BROWSER.folder, BROWSER.imports),
};

export default defineConfig(
  { ignores: ["dist/", "dist.*.tmp/", "**/node_modules/", "test/fixtures/cli-syntax-error.ts"] },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  tseslint.configs.recommended,
  { files: ["**/*.js", "**/*.mjs"], languageOptions: { globals: globals.node } },
  { files: [`${BROWSER.folder}/**`], languageOptions: { globals: globals.browser } },
  {
    rules: {
      // Message bodies off the wire and test helpers are typed `any` where they are checked by hand.
      "@typescript-eslint/no-explicit-any": "off",
      // NUL and ESC in regular expressions are the point where they appear (key separators, terminal codes).
      "no-control-regex": "off",
      // The errors that re-word a caught one put its message in theirs, on purpose, without the stack.
      "preserve-caught-error": "off",
      // As tsc's noUnusedParameters: a leading underscore marks a name kept unused on purpose.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
    },
  },
  ...layers,
  browser,
);

/**
 * The layer rule of eslint.config.js: small sources linted under made-up paths, through ESLint's
 * Node API, show which imports it refuses (upward, between the separate processes, in every form
 * an import takes) and which it lets through. The tree itself is linted by `npm run lint`.
 */
import { existsSync, readdirSync } from "node:fs";
import { ESLint } from "eslint";
import t from "tap";
import { ROOT } from "./lib/cli.js";

const eslint = new ESLint({ cwd: ROOT });

interface Finding {
  ruleId: string | null;
  message: string;
  line: number;
}

/** The layer rule's findings for `code` as if it were the file `path` (relative to the repository). */
async function layerFindings(path: string, code: string): Promise<Finding[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` });
  const findings = result!.messages.map(({ ruleId, message, line }) => ({ ruleId, message, line }));
  return findings.filter(({ ruleId }) => ruleId === "no-restricted-imports" || ruleId === "no-restricted-syntax");
}

const UP = "a layer imports only the layers below it (docs/architecture.md)";
const APART = "hub, kvs, supervisor and worker are separate processes and never import each other";

t.test("an import of a layer above is refused, in each form an import takes", async (t) => {
  const forms: [string, string][] = [
    ["import", `import { getInstance } from "../host/instance.js";`],
    ["import type", `import type { Instance } from "../host/instance.js";`],
    ["side-effect import", `import "../host/instance.js";`],
    ["re-export", `export { getInstance } from "../host/instance.js";`],
    ["export *", `export * from "../host/instance.js";`],
    ["dynamic import()", `export const load = () => import("../host/instance.js");`],
    ["typeof import()", `export type Host = typeof import("../host/instance.js");`],
  ];
  for (const [form, code] of forms) {
    const findings = await layerFindings("runtime/client/probe.ts", code);
    t.equal(findings.length, 1, `${form}: one finding`, { findings });
    t.match(findings[0]?.message, `runtime/host is a layer above runtime/client; ${UP}`, `${form}: it names both layers and the rule`);
  }
});

t.test("each kind of upward import seen in the tree is refused", async (t) => {
  const cases: [string, string, string][] = [
    ["runtime/client/exports.ts", `import { getInstance } from "../host/instance.js";`, "runtime/host is a layer above runtime/client"],
    ["runtime/client/kvs-client.ts", `import type { LocalStore } from "../kvs/local.js";`, "runtime/kvs is a layer above runtime/client"],
    ["runtime/host/run.ts", `import { QueueManager } from "../../stdlib/queue-manager.js";`, "stdlib is a layer above runtime/host"],
    ["runtime/worker/main.ts", `import { getInstance } from "../host/instance.js";`, "runtime/host is a layer above runtime/worker"],
    ["runtime/util/probe.ts", `import { getLogger } from "../config/logger.js";`, "runtime/config is a layer above runtime/util"],
    ["runtime/wire/probe.ts", `import { connect } from "../transport/connect.js";`, "runtime/transport is a layer above runtime/wire"],
    ["runtime/pool/probe.ts", `import { Broker } from "../hub/broker.js";`, "runtime/hub is a layer above runtime/pool"],
    ["runtime/hub/probe.ts", `import "../../cli/main.js";`, "cli is a layer above runtime/hub"],
    ["stdlib/probe.ts", `import { main } from "../cli/main.js";`, "cli is a layer above stdlib"],
  ];
  for (const [path, code, message] of cases) {
    const findings = await layerFindings(path, code);
    t.equal(findings.length, 1, `${path}: one finding`, { findings });
    t.match(findings[0]?.message, message, `${path}: ${message}`);
  }
});

t.test("hub, kvs, supervisor and worker never import each other", async (t) => {
  const separate = ["hub", "kvs", "supervisor", "worker"];
  for (const from of separate) {
    for (const to of separate.filter((other) => other !== from)) {
      const findings = await layerFindings(
        `runtime/${from}/probe.ts`,
        `import { x } from "../${to}/x.js";\nexport const y = () => import("../${to}/y.js");`,
      );
      const message = `runtime/${from} may not import runtime/${to}: ${APART}`;
      t.equal(findings.length, 2, `${from} -> ${to}: two findings`, { findings });
      t.match(
        findings,
        [
          { line: 1, message },
          { line: 2, message },
        ],
        `${from} -> ${to}: refused, static and dynamic`,
      );
    }
  }
});

t.test("imports downward, within a folder, of packages and between pool and remote pass", async (t) => {
  const cases: [string, string][] = [
    ["cli/probe.ts", `import "../runtime/host/run.js"; import "../stdlib/index.js"; import "../runtime/util/errors.js";`],
    ["stdlib/probe.ts", `import "../runtime/client/exports.js"; import "../runtime/util/errors.js"; import "./queue-manager.js";`],
    [
      "runtime/host/probe.ts",
      `import "../hub/main.js"; import "../kvs/main.js"; import "../worker/main.js"; export const c = () => import("../client/kvs-client.js");`,
    ],
    [
      "runtime/hub/probe.ts",
      `import "../pool/pool.js"; import "../remote/gateway.js"; import "../transport/outbox.js"; import "./broker.js";`,
    ],
    ["runtime/pool/probe.ts", `import "../remote/gateway.js";`],
    ["runtime/remote/probe.ts", `import "../pool/pool.js";`],
    ["runtime/util/probe.ts", `import { readFileSync } from "node:fs"; import "zeromq"; import "./errors.js";`],
    // A file whose name merely starts like a layer's folder is not that folder.
    ["runtime/client/probe.ts", `import "./kvs-client.js"; import "../util/host-name.js"; import "../config/worker-options.js";`],
  ];
  for (const [path, code] of cases) t.same(await layerFindings(path, code), [], `${path}: no finding`);
});

t.test("runtime/worker/worker.ts may import stdlib/index.js, and nothing else of stdlib; no other file may", async (t) => {
  t.same(
    await layerFindings("runtime/worker/worker.ts", `import { KeyValueStore } from "../../stdlib/index.js";`),
    [],
    "worker.ts -> stdlib/index.js passes",
  );
  const other = await layerFindings("runtime/worker/worker.ts", `import { QueueManager } from "../../stdlib/queue-manager.js";`);
  t.equal(other.length, 1, "worker.ts -> stdlib/queue-manager.js: one finding", { other });
  t.match(other[0]?.message, "stdlib is a layer above runtime/worker", "worker.ts -> stdlib/queue-manager.js is refused");
  const elsewhere = await layerFindings("runtime/worker/link.ts", `import { KeyValueStore } from "../../stdlib/index.js";`);
  t.equal(elsewhere.length, 1, "another worker file -> stdlib/index.js: one finding", { elsewhere });
  t.match(elsewhere[0]?.message, "stdlib is a layer above runtime/worker", "another worker file -> stdlib/index.js is refused");
});

t.test("every folder of runtime/ has its place in the layers, and no file is loose at its root", async (t) => {
  const { LAYERS } = (await import(`${ROOT}eslint.config.js`)) as { LAYERS: string[][] };
  const placed = LAYERS.flat();
  const entries = readdirSync(`${ROOT}runtime`, { withFileTypes: true });
  for (const folder of entries.filter((entry) => entry.isDirectory()))
    t.ok(placed.includes(`runtime/${folder.name}`), `runtime/${folder.name} is in LAYERS (eslint.config.js)`);
  t.same(
    entries.filter((entry) => entry.isFile()).map((entry) => entry.name),
    [],
    "no file at runtime/'s root",
  );
  for (const folder of placed) t.ok(existsSync(`${ROOT}${folder}`), `${folder}, named in LAYERS, exists`);
});

t.test(
  "web/, the browser's pages, import the dashboard's and the report's wire types alone of the Node code; no layer imports them",
  async (t) => {
    const page = "web is the browser's page: of the Node code it imports runtime/wire/dashboard.js, runtime/wire/journal-report.js alone";
    for (const [path, code] of [
      [
        "web/probe.ts",
        `import type { DashboardUpdate } from "../runtime/wire/dashboard.js"; import { render } from "preact"; import "./format.js";`,
      ],
      ["web/components/probe.tsx", `import type { WorkerView } from "../../runtime/wire/dashboard.js"; import "../connection.js";`],
      ["web/probe.tsx", `import { REPORT_DATA_ID, type JournalReport } from "../runtime/wire/journal-report.js";`],
    ])
      t.same(await layerFindings(path, code), [], `${path}: the wire types, packages and its own files pass`);
    for (const [path, code] of [
      ["web/probe.ts", `import { PROTOCOL_VERSION } from "../runtime/wire/protocol.js";`],
      ["web/probe.ts", `import { summarizeJournal } from "../runtime/host/journal-summary.js";`],
      ["web/components/probe.tsx", `import { describe } from "../../runtime/util/describe.js";`],
      ["web/probe.ts", `export const load = () => import("../stdlib/index.js");`],
    ]) {
      const findings = await layerFindings(path, code);
      t.equal(findings.length, 1, `${path}: one finding`, { findings });
      t.match(findings[0]?.message, page, `${path}: ${code}`);
    }
    for (const path of ["runtime/host/probe.ts", "cli/probe.ts", "runtime/util/probe.ts"]) {
      const findings = await layerFindings(path, `import "../../web/main.js";`);
      t.equal(findings.length, 1, `${path} -> web: one finding`, { findings });
      t.match(findings[0]?.message, "web is the browser's page", `${path} may not import web`);
    }
  },
);

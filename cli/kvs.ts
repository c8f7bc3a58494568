import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { TransactionTimeout } from "../runtime/util/errors.js";
import { resolveConfig } from "../runtime/config/config.js";
import { toJson } from "../runtime/util/json-values.js";
import type { CurveClientKeys } from "../runtime/util/curve.js";
import { findRun, findRunByEndpoint, nearestKvsEndpoint, type FoundRun } from "../runtime/transport/kvs-discovery.js";
import type { KvsOp } from "../runtime/wire/kvs.js";
import { readRunKeys, runClientKeys } from "../runtime/transport/run-keys.js";
import { fail, warn } from "./report.js";

/**
 * Every action: its arguments (counts for the check, text for usage errors and --help) and what it
 * does. The command's help, its usage errors and its list of actions are all made from this table.
 */
const ACTIONS = {
  get: { min: 1, max: 1, args: "<key>", does: "prints the value as JSON (exit 1 if there is none)" },
  set: { min: 2, max: 2, args: "<key> <value>", does: "stores the value (JSON, else a string) and prints it" },
  del: { min: 1, max: Infinity, args: "<key>...", does: "deletes the keys; prints how many were there" },
  exists: { min: 1, max: Infinity, args: "<key>...", does: "prints how many of the keys hold a value" },
  incr: { min: 1, max: 2, args: "<key> [by]", does: "adds by (default 1; missing is 0); prints the sum" },
  keys: { min: 0, max: 1, args: "[pattern]", does: "prints the matching keys, one a line, sorted" },
  dump: { min: 0, max: 0, args: "", does: "prints the whole store as JSON" },
  flush: { min: 0, max: 0, args: "", does: "deletes every key" },
  ping: { min: 0, max: 0, args: "", does: "prints the store's pid, key count and uptime as JSON" },
} as const satisfies Record<string, { min: number; max: number; args: string; does: string }>;
type Action = keyof typeof ACTIONS;
const ACTION_NAMES = Object.keys(ACTIONS) as Action[];
const usageOf = (action: Action) => `kvs ${action}${ACTIONS[action].args ? ` ${ACTIONS[action].args}` : ""}`;

interface KvsArgs {
  action: Action;
  args: string[];
  instance?: string;
  connect?: string;
  key?: string;
  serverKey?: string;
  ttl?: number;
  string: boolean;
  timeout: number;
  /** After `--`: a value that starts with "-" (`kvs set n -- -5`). */
  "--"?: (string | number)[];
}

export const kvsCommand: CommandModule<object, KvsArgs> = {
  command: "kvs <action> [args..]",
  describe: `Read or change the key-value store of a running \`strmbrkr run\` (${ACTION_NAMES.join(", ")})`,
  builder: (yargs) =>
    (yargs as Argv<object>)
      // Checked in the handler, not with `choices`: yargs spreads that error over several lines.
      .positional("action", { type: "string", demandOption: true, describe: `One of ${ACTION_NAMES.join(", ")} (below)` })
      .positional("args", { type: "string", array: true, default: [], describe: "The keys, value, amount or glob pattern" })
      .option("instance", { type: "string", describe: "The run's instance id (STRMBRKR_INSTANCE_ID; by default the host's pid)" })
      .option("connect", { type: "string", describe: "The store's endpoint instead, e.g. tcp://127.0.0.1:40123 or ipc:///tmp/…/kvs.sock" })
      .conflicts("instance", "connect")
      .option("ttl", { type: "number", describe: "set: seconds until the key expires [default: none]" })
      .option("string", { type: "boolean", default: false, describe: "set: store the value as a string, even if it reads as JSON" })
      .option("key", {
        type: "string",
        describe: "With --connect to a run's CURVE endpoint (--listen): a key pair file whose .pub is in its --authorized-keys",
      })
      .option("server-key", { type: "string", describe: "With --key: the host's public key (as --server-key='KEY'), or its .pub file" })
      .option("timeout", { type: "number", default: 2000, describe: "Milliseconds to wait for the store's answer" })
      .epilog(`Actions:\n${ACTION_NAMES.map((action) => `  ${usageOf(action).slice(4).padEnd(16)} ${ACTIONS[action].does}`).join("\n")}`)
      .example("$0 kvs keys 'job:*' --instance 4242", "List keys of run 4242")
      .example("$0 kvs set limit 10 --instance 4242", "Store the number 10 (JSON), or a string if it is not JSON")
      .example("$0 kvs del job:1 job:2 --instance 4242", "Delete two keys; prints how many were there")
      .example("$0 kvs dump --connect tcp://127.0.0.1:40123", "Print the whole store as JSON") as Argv<KvsArgs>,
  handler: (args) => kvs(args),
};

async function kvs(args: ArgumentsCamelCase<KvsArgs>): Promise<void> {
  if (!Object.hasOwn(ACTIONS, args.action)) fail(2, `kvs: unknown action ${JSON.stringify(args.action)} (${ACTION_NAMES.join(", ")})`);
  const positionals = [...(args.args ?? []), ...(args["--"] ?? [])].map(String);
  const { min, max } = ACTIONS[args.action];
  const usage = `usage: strmbrkr ${usageOf(args.action)} (--instance ID | --connect ENDPOINT)`;
  if (positionals.length < min || positionals.length > max) fail(2, usage);
  const by = args.action === "incr" && positionals[1] !== undefined ? Number(positionals[1]) : 1;
  if (!Number.isFinite(by) || positionals[1]?.trim() === "")
    fail(2, `kvs incr: the amount must be a number, got ${JSON.stringify(positionals[1])}`);
  if (!args.instance && !args.connect) fail(2, "name the run: --instance ID, or --connect ENDPOINT");
  if (!(args.timeout > 0)) fail(2, `--timeout: ${args.timeout} must be a number of milliseconds > 0`);
  if (args.ttl !== undefined && !(args.ttl > 0)) fail(2, `--ttl: ${args.ttl} must be a number of seconds > 0`);
  let endpoint: string;
  let run: FoundRun | undefined;
  let maxValueBytes: number;
  try {
    maxValueBytes = resolveConfig({ warn }).kvsMaxValueBytes;
    run = args.connect === undefined ? findRun(args.instance!) : args.key === undefined ? findRunByEndpoint(args.connect) : undefined;
    endpoint = args.connect ?? run!.endpoint;
  } catch (error) {
    return fail(2, (error as Error).message);
  }
  if (!/^(tcp|ipc):\/\/./.test(endpoint)) fail(2, `--connect ${JSON.stringify(endpoint)}: an endpoint is tcp://HOST:PORT or ipc://PATH`);
  if ((args.key === undefined) !== (args.serverKey === undefined))
    fail(2, "--key and --server-key go together (a run's CURVE endpoint needs both)");
  // zeromq and the client load only here: every command's start would pay for them otherwise.
  const [{ KvsClient, KvsRefused }, { readKeyPair, readPublicKey }] = await Promise.all([
    import("../runtime/client/kvs-client.js"),
    import("../runtime/transport/key-files.js"),
  ]);
  let curve: CurveClientKeys | undefined;
  try {
    // One of this user's runs: its own keys, from its 0700 directory. Anyone else's: none, and the store refuses.
    if (run) curve = runClientKeys(readRunKeys(run.runDir));
    if (args.key !== undefined) curve = { serverKey: readPublicKey(args.serverKey!, "--server-key"), ...readKeyPair(args.key, "--key") };
  } catch (error) {
    fail(2, (error as Error).message);
  }

  // The run's local socket when there is one: no zeromq, no keys needed (the run directory is the owner's).
  const nearest = run ? nearestKvsEndpoint(run.runDir, endpoint) : endpoint;
  const client = new KvsClient(nearest, { timeoutMs: args.timeout, attempts: 1, maxValueBytes, curve });
  const request = (op: KvsOp, ...rest: unknown[]) => client.request(op, rest);
  let code = 0;
  try {
    const [key, value] = positionals;
    switch (args.action) {
      case "get": {
        const found = await request("get", key);
        if (found === undefined) {
          process.stderr.write(`strmbrkr: no value under ${JSON.stringify(key)}\n`);
          code = 1;
        } else print(found);
        break;
      }
      case "set":
        print(await request("set", key, args.string ? value : parse(value!), ...(args.ttl ? [{ ttl: args.ttl }] : [])));
        break;
      case "del":
      case "exists": {
        const op = args.action === "del" ? "delete" : "exists";
        // One request each, sent together and served in order: as in Redis, a key named twice is deleted once but exists twice.
        const answers = await Promise.all(positionals.map((name) => request(op, name)));
        print(answers.filter(Boolean).length);
        break;
      }
      case "incr":
        print(await request("incr", key, by));
        break;
      case "ping":
        print(await request("ping"));
        break;
      case "keys":
        for (const name of (await request("keys", key ?? "*")) as string[]) process.stdout.write(`${name}\n`);
        break;
      case "dump":
        print(Object.fromEntries((await request("entries")) as Map<string, unknown>), 2);
        break;
      case "flush":
        await request("flush");
        break;
    }
  } catch (error) {
    const refused = error instanceof KvsRefused;
    const reason = refused
      ? `refused: ${(error as Error).message}${args.key === undefined ? "; for your own run use --instance ID, for --listen --key and --server-key" : ""}`
      : error instanceof TransactionTimeout
        ? `no answer from the key-value store at ${endpoint} in ${args.timeout} ms (is the run still going?)`
        : `${(error as Error).name}: ${(error as Error).message}`;
    process.stderr.write(`strmbrkr: ${reason}\n`);
    code = error instanceof TransactionTimeout || refused ? 2 : 1;
  } finally {
    client.close();
  }
  process.exit(code);
}

/** A value as JSON, Maps, Sets, BigInts and the like spelled as `strmbrkr map` writes them (runtime/util/json-values.ts). */
function print(value: unknown, indent?: number): void {
  process.stdout.write(`${toJson(value, indent)}\n`);
}

/** `42`, `true`, `{"a":1}` as JSON; anything that is not JSON as the string it is. */
function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

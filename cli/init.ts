import { lstatSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { scriptCompilerOptions } from "../runtime/host/typecheck.js";
import { fail } from "./report.js";

interface InitArgs {
  dir: string;
}

const STARTER = `// A strmbrkr job script. Its exported functions are jobs, run on worker processes; main, the
// default export, runs once, queues them and reads the results. Run it with
//   strmbrkr run script.ts --typecheck -- 20
import { KeyValueStore, type MainContext } from "strmbrkr";

/** A job. Its arguments and result cross processes, so they must be structured-cloneable. */
export async function square(n: number): Promise<number> {
  await KeyValueStore.appendValue("squared", n); // state every job and main can see
  return n * n;
}

export default async function main({ queue, workers, argv }: MainContext): Promise<void> {
  const count = Number(argv[0] ?? 10);
  // submit queues one job and resolves with what it returns: typed, so square("2") does not compile.
  const squares = await Promise.all(Array.from({ length: count }, (_, n) => queue.submit(square, n)));
  const squared = await KeyValueStore.getValue<number[]>("squared");
  console.log(\`\${squared?.length} jobs on \${workers.workerCount} workers: the squares of 0..\${count - 1} add up to \${squares.reduce((a, b) => a + b, 0)}\`);
}
`;

export const initCommand: CommandModule<object, InitArgs> = {
  command: "init [dir]",
  describe:
    "Write a starter job script (script.ts) and a tsconfig.json that finds strmbrkr's and Node's types in this installation, for editors and tsc",
  builder: (yargs) =>
    (yargs as Argv<object>)
      .positional("dir", { type: "string", default: ".", describe: "The folder to write them in (made if missing) [default: .]" })
      .example("$0 init sim && $0 run sim/script.ts --typecheck", "Start a project in ./sim and run it") as Argv<InitArgs>,
  handler: (args) => init(args),
};

function init({ dir }: ArgumentsCamelCase<InitArgs>): void {
  const files = [
    { path: join(dir, "script.ts"), text: STARTER },
    {
      path: join(dir, "tsconfig.json"),
      text: `${JSON.stringify({ compilerOptions: scriptCompilerOptions(), include: ["**/*.ts"] }, null, 2)}\n`,
    },
  ];
  // Both are looked for first, so a refusal writes neither; "wx" still never overwrites one made meanwhile.
  const taken = files.find(({ path }) => lstatSync(path, { throwIfNoEntry: false }));
  if (taken) fail(2, `${taken.path} exists already; not overwriting it (nothing written)`);
  try {
    mkdirSync(dir, { recursive: true });
    for (const { path, text } of files) writeFileSync(path, text, { flag: "wx" });
  } catch (error) {
    const { code, path } = error as NodeJS.ErrnoException;
    fail(2, code === "EEXIST" ? `${path} exists already; not overwriting it` : `cannot write in ${dir}: ${(error as Error).message}`);
  }
  const script = relative(process.cwd(), files[0]!.path) || files[0]!.path;
  process.stdout.write(`wrote ${files.map(({ path }) => path).join(" and ")}\nrun it: strmbrkr run ${script} --typecheck\n`);
}

import { basename } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { fail } from "./report.js";

interface KeygenArgs {
  name: string;
}

export const keygenCommand: CommandModule<object, KeygenArgs> = {
  command: "keygen <name>",
  describe: "Write a CURVE key pair for remote workers: <name>.key (secret, mode 0600) and <name>.pub (public)",
  builder: (yargs) =>
    (yargs as Argv<object>)
      .positional("name", { type: "string", demandOption: true, describe: "Path without extension, e.g. ~/.config/strmbrkr/host" })
      .example("$0 keygen host", "The host's pair: run with --key host.key; workers get --server-key host.pub")
      .example("$0 keygen node7 && cat node7.pub >> authorized_keys", "A worker's pair, admitted by the host") as Argv<KeygenArgs>,
  handler: (args) => keygen(args),
};

async function keygen({ name }: ArgumentsCamelCase<KeygenArgs>): Promise<void> {
  const { writeKeyPair } = await import("../runtime/transport/key-files.js"); // zeromq: loaded by the command that needs it
  let publicKey: string;
  try {
    ({ publicKey } = writeKeyPair(name, basename(name)));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(
      2,
      code === "EEXIST"
        ? `${name}.key or ${name}.pub exists already; not overwriting a key`
        : `cannot write ${name}.key: ${(error as Error).message}`,
    );
  }
  process.stdout.write(`wrote ${name}.key (secret: keep it on this machine) and ${name}.pub\npublic key: ${publicKey}\n`);
}

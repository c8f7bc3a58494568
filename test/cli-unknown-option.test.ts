import t from "tap";
import { fixture, strmbrkr } from "./lib/cli.js";

// An unknown flag or command: one line, the flag as typed (`--no-` included), the nearest one that command takes.
t.test("a near miss is named with a suggestion, for every command", { timeout: 90_000 }, async (t) => {
  const cases: [string[], string][] = [
    [["run", fixture("cli-print-workers.ts"), "--worker", "2"], "unknown option --worker; did you mean --workers?"],
    [["map", fixture("map-fns.ts"), "square", "-i", "-", "--no-progres"], "unknown option --no-progres; did you mean --no-progress?"],
    [["kvs", "get", "k", "--instnce", "4242"], "unknown option --instnce; did you mean --instance?"],
    [["worker", "--connect", "tcp://127.0.0.1:1", "--persit"], "unknown option --persit; did you mean --persist?"],
    [["keygen", "k.key", "--forse"], "unknown option --forse"],
    [["mapp", "x.ts"], 'unknown argument "mapp"; did you mean map?'],
  ];
  for (const [args, message] of cases) {
    const result = await strmbrkr(args);
    t.equal(result.code, 2, args.join(" "));
    t.equal(result.stderr, `strmbrkr: ${message}\n`, args.join(" "));
    t.equal(result.stdout, "");
  }
});

import t from "tap";
import { toJson } from "../runtime/util/json-values.js";
import { fixture, processesGone, strmbrkr } from "./lib/cli.js";

// One spelling of structured values as JSON (runtime/util/json-values.ts), for `map` as for `kvs get`.
t.test(
  "map writes Maps, Sets, BigInts, Dates, typed arrays as documented; a function, a symbol, a cycle fail their line",
  { timeout: 60_000 },
  async (t) => {
    const kinds = ["map", "pairs", "set", "bigint", "date", "typed", "undefined", "function", "symbol", "cycle"];
    const result = await strmbrkr(["map", fixture("map-values.ts"), "value", "-i", "-", "--ordered", "-w", "2", "--no-progress"], {
      stdin: kinds.map((kind) => JSON.stringify(kind)).join("\n"),
    });
    t.same(await processesGone(result.instanceId), [], "no process of the run is left");
    t.equal(result.code, 1, "three lines failed");
    t.same(
      result.stdout.split("\n"),
      [
        '{"a":"1"}', // a Map with string keys is an object; 1n is "1"
        '[[1,"one"],[[2],["two"]]]',
        "[1,2]",
        '"1180591620717411303424"',
        '{"at":"2026-01-02T00:00:00.000Z"}',
        "[0.5,2]",
        '[null,{"kept":1}]',
        "null",
        "null",
        "null",
        "",
      ],
      "one line per input line, null where the line failed",
    );
    const stderr = result.stderr.split("\n");
    // Functions and symbols cannot even be cloned back from the worker: the job fails there.
    t.match(stderr.splice(0, 2), [
      /^strmbrkr: line 8: TypeError: .*\(\) => 2 could not be cloned/,
      /^strmbrkr: line 9: TypeError: .*Symbol\(s\) could not be cloned/,
    ]);
    t.same(stderr, [
      "strmbrkr: line 10: TypeError: its return value cannot be written as JSON: a cycle cannot be written as JSON at .self (it refers back to an object that contains it)",
      "strmbrkr: 3 of 10 input lines failed",
      "",
    ]);
  },
);

t.test("toJson names what cannot be written and where; it never writes a silent {}", async (t) => {
  t.throws(() => toJson({ a: [1, () => 2] }), {
    name: "TypeError",
    code: "ERR_STRMBRKR_JSON_VALUE",
    message: "a function cannot be written as JSON at .a[1]",
  });
  t.throws(() => toJson(new Map([["k", Symbol("s")]])), { message: "a symbol cannot be written as JSON at .k" });
  const shared = { n: 1 };
  t.equal(toJson([shared, shared]), '[{"n":1},{"n":1}]', "a value reached twice, without a cycle, is written twice");
  t.equal(toJson(new Map([["m", new Map([[1n, new Uint8Array([1])]])]])), '{"m":[["1",[1]]]}');
  t.equal(toJson(Object.assign(new RangeError("too big"), { extra: 1 })), '{"name":"RangeError","message":"too big"}');
  t.equal(toJson(undefined), "null");
});

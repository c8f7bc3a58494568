/**
 * Runs a `jobs-*` fixture the way a user would (`strmbrkr run <fixture> --workers N -- <scenario>`)
 * and hands back the JSON summary its main printed on its last stdout line, after asserting that
 * the run exited 0 and left no process behind.
 */
import { fixture, lastJson, processesGone, strmbrkr, type RunOptions, type RunResult } from "./cli.js";

/** The `t` a tap test callback receives. */
export type TapTest = Parameters<Parameters<typeof import("tap")["test"]>[0]>[0];

export interface ScenarioOptions extends RunOptions {
  /** --workers; default 1. */
  workers?: number;
  /** --watchdog in seconds; default: not given. */
  watchdog?: number;
  /** More arguments for main after the scenario name. */
  args?: string[];
  /** The exit code the run should end with; default 0. */
  expectCode?: number;
}

export interface ScenarioRun<S> {
  result: RunResult;
  /** The fixture's JSON summary, or undefined when it printed none (the test has failed then). */
  summary: S;
}

/** `strmbrkr run test/fixtures/<script> --workers N [--watchdog S] -- <scenario> [args…]` */
export async function runScenario<S = any>(
  t: TapTest,
  script: string,
  scenario: string,
  options: ScenarioOptions = {},
): Promise<ScenarioRun<S>> {
  const { workers = 1, watchdog, args = [], expectCode = 0, ...runOptions } = options;
  const cli = [
    "run",
    fixture(script),
    "--workers",
    String(workers),
    ...(watchdog === undefined ? [] : ["--watchdog", String(watchdog)]),
    "--",
    scenario,
    ...args,
  ];
  const result = await strmbrkr(cli, runOptions);
  const diagnostics = { command: `strmbrkr ${cli.join(" ")}`, stdout: result.stdout, stderr: result.stderr };
  t.equal(result.code, expectCode, `${script} ${scenario}: exit code ${expectCode}`, diagnostics);
  let summary: S | undefined;
  try {
    summary = lastJson<S>(result.stdout);
  } catch {
    t.fail(`${script} ${scenario}: main printed a JSON summary on its last line`, diagnostics);
  }
  t.same(await processesGone(result.instanceId), [], `${script} ${scenario}: no process of the run is left`);
  return { result, summary: summary as S };
}

/**
 * Scenarios of one fixture that can share a run, in this order (each must leave the run as the next
 * expects it): the first test to ask for one runs `strmbrkr run <script> -- a+b+c` and makes the
 * run's assertions (exit code, no process left); every test gets its own scenario's summary.
 */
export function sharedRun<S = any>(script: string, names: string[], options: ScenarioOptions = {}) {
  let run: Promise<ScenarioRun<Record<string, S> | undefined>> | undefined;
  return async (t: TapTest, name: string): Promise<S> => {
    if (!names.includes(name)) throw new Error(`${name} is not one of the shared scenarios ${names.join(", ")}`);
    run ??= runScenario<Record<string, S> | undefined>(t, script, names.join("+"), options);
    const { summary } = await run;
    return summary?.[name] as S;
  };
}

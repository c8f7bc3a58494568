import { readFileSync } from "node:fs";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { reportHtml } from "../runtime/host/journal-html.js";
import { summarizeJournal } from "../runtime/host/journal-summary.js";
import { TraceEvents } from "../runtime/host/journal-trace.js";
import { StrmbrkrError } from "../runtime/util/errors.js";
import type { JournalReport } from "../runtime/wire/journal-report.js";
import { type FileData, safeWriteFileSync } from "../runtime/util/safe-write.js";
import { summaryText } from "./journal-text.js";
import { fail } from "./report.js";

interface ReportArgs {
  journal: string;
  html?: string;
  trace?: string;
}

export const journalReportCommand: CommandModule<object, ReportArgs> = {
  command: "report <journal>",
  describe: "Summarise a run's journal (--journal FILE): jobs, durations, workers, failures; optionally as HTML or a Chrome trace",
  builder: (yargs) =>
    (yargs as Argv<object>)
      .positional("journal", { type: "string", demandOption: true, describe: "A journal written by `strmbrkr run … --journal FILE`" })
      .option("html", {
        type: "string",
        describe: "Also write a self-contained HTML report (task stream, durations, throughput, failures) to this file (default: none)",
      })
      .option("trace", {
        type: "string",
        describe: "Also write the jobs as a Chrome trace (JSON) for Perfetto or chrome://tracing to this file (default: none)",
      })
      .example("$0 report sweep.journal", "Print the summary")
      .example(
        "$0 report sweep.journal --html sweep.html --trace sweep.trace.json",
        "And write the HTML report and the trace",
      ) as Argv<ReportArgs>,
  handler: (args: ArgumentsCamelCase<ReportArgs>) => {
    for (const flag of ["html", "trace"] as const)
      if (args[flag] !== undefined && args[flag].trim() === "") fail(2, `--${flag} needs a file name`);
    const bytes = readJournal(args.journal);
    const trace = args.trace === undefined ? undefined : new TraceEvents();
    let report: JournalReport;
    try {
      report = summarizeJournal(bytes, args.journal, { onJob: trace?.add });
    } catch (error) {
      if (error instanceof StrmbrkrError) fail(2, error.message);
      throw error;
    }
    if (args.html !== undefined) write("--html", args.html, htmlOf(report));
    if (trace && args.trace !== undefined) write("--trace", args.trace, trace.chunks(report.runs));
    process.stdout.write(summaryText(report));
    if (args.html !== undefined) process.stdout.write(`\nHTML report: ${args.html}\n`);
    if (args.trace !== undefined)
      process.stdout.write(`${args.html === undefined ? "\n" : ""}trace (${trace!.size} jobs): ${args.trace}\n`);
  },
};

function htmlOf(report: JournalReport): string {
  try {
    return reportHtml(report);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      fail(2, "--html: the report's page is not built (dist/web/report.js): run npm run build");
    throw error;
  }
}

function readJournal(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") fail(2, `journal ${path}: no such file`);
    fail(2, `journal ${path} cannot be read (${code ?? (error as Error).message})`);
  }
}

/** Through safe-write: a private file (0600) replacing whatever was there in one rename. */
function write(flag: string, path: string, data: FileData): void {
  try {
    safeWriteFileSync(path, data);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(2, `${flag} ${path} cannot be written (${code ?? (error as Error).message})`);
  }
}

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { packageUrl } from "../util/package-root.js";
import { type JournalReport, REPORT_DATA_ID } from "../wire/journal-report.js";

/**
 * The HTML report of a journal: one self-contained file, its script (dist/web/report.js, built from
 * web/report.tsx), its styles and its data (the JournalReport as JSON) inlined. It fetches nothing:
 * its Content-Security-Policy allows no connection, no external file, and that one script alone
 * (by its hash), so it opens the same from a laptop's downloads folder, an email or an offline machine.
 */
export function reportHtml(report: JournalReport): string {
  const script = scriptText(readFileSync(packageUrl("dist/web/report.js"), "utf8"));
  const styles = readFileSync(packageUrl("dist/web/report.css"), "utf8").replaceAll("</style", "<\\/style");
  const hash = createHash("sha256").update(script).digest("base64");
  const policy = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  const title = report.runs.length > 0 ? basename(report.runs.at(-1)!.script) : basename(report.journal);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <meta http-equiv="Content-Security-Policy" content="${policy}" />
    <meta name="referrer" content="no-referrer" />
    <title>${escapeHtml(title)} · strmbrkr report</title>
    <link rel="icon" href="data:," />
    <style>${styles}</style>
  </head>
  <body>
    <div id="app"><p class="boot">Drawing the report…</p></div>
    <noscript>The strmbrkr report needs JavaScript.</noscript>
    <script type="application/json" id="${REPORT_DATA_ID}">${jsonInScript(report)}</script>
    <script type="module">${script}</script>
  </body>
</html>
`;
}

/** JSON that cannot end its script element or open a comment in it: `<` as \u003c, valid JSON still. */
function jsonInScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * The bundle as a script element's text: `</script` and `<!--` would end or upset the element;
 * in JavaScript source `<\/` and `<\!` mean the same inside strings, template literals and regexps,
 * the only places a minified bundle has them.
 */
function scriptText(bundle: string): string {
  return bundle.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

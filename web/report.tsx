// The HTML report's entry (`strmbrkr report JOURNAL --html FILE`): the command inlines this bundle
// and its styles into one file, with the report's figures as JSON in the page; nothing is fetched.
import "uplot/dist/uPlot.min.css";
import "./app.css";
import "./report.css";
import { render } from "preact";
import { type JournalReport, REPORT_DATA_ID } from "../runtime/wire/journal-report.js";
import { ReportApp } from "./components/report-app.js";

const data = document.getElementById(REPORT_DATA_ID)?.textContent;
const app = document.getElementById("app")!;
if (!data) app.textContent = "This report holds no data.";
else {
  app.textContent = ""; // the "Drawing the report…" line: render() adds to what is there
  render(<ReportApp report={JSON.parse(data) as JournalReport} />, app);
}

// The dashboard page's entry: its styles (uPlot's first, so ours win), the connection, the app.
import "uplot/dist/uPlot.min.css";
import "./app.css";
import { render } from "preact";
import { App } from "./components/app.js";
import { Connection } from "./connection.js";

render(<App connection={new Connection("events")} />, document.getElementById("app")!);

import { Component } from "preact";
import { useState } from "preact/hooks";
import type { FailureView } from "../../runtime/wire/dashboard.js";
import { formatTimeOfDay } from "../format.js";
import type { FunctionColors } from "../theme.js";
import { Swatch } from "./panel.js";

interface FailuresListProps {
  failures: readonly FailureView[];
  colors: FunctionColors;
}

/**
 * The last failures, newest first: what was thrown, by which job, with which arguments, and where.
 * Each update resends the same (up to 50) failures, whose DOM is a good part of the page's: it
 * re-renders only when a new one came.
 */
export class FailuresList extends Component<FailuresListProps> {
  override shouldComponentUpdate(next: FailuresListProps): boolean {
    return ids(next.failures) !== ids(this.props.failures);
  }

  override render() {
    const { failures, colors } = this.props;
    return (
      <>
        {failures.length === 0 && <p class="empty">No failure.</p>}
        <ol class="failures" data-testid="failures">
          {failures.map((failure) => (
            <Failure key={failure.id} failure={failure} colour={colors.cssVar(failure.fn)} />
          ))}
        </ol>
      </>
    );
  }
}

const ids = (failures: readonly FailureView[]) => failures.map((failure) => failure.id).join(" ");

function Failure({ failure, colour }: { failure: FailureView; colour: string }) {
  // The stack is always in the page (text searches find it); folded, it shows its first frames.
  const [open, setOpen] = useState(false);
  const frames = failure.stack?.split("\n").length ?? 0;
  return (
    <li class="failure" data-testid="failure" data-job={failure.id}>
      <div class="failure-head">
        <span class="failure-error">
          <strong>{failure.name}</strong>: {failure.message}
        </span>
        <time dateTime={new Date(failure.at).toISOString()} title={new Date(failure.at).toLocaleString()}>
          {formatTimeOfDay(failure.at)}
        </time>
      </div>
      <div class="failure-facts">
        <span>
          <Swatch colour={colour} />
          {failure.fn}
        </span>
        <span class="mono">{failure.id}</span>
        {failure.retries !== undefined && <span>{failure.retries === 1 ? "1 retry" : `${failure.retries} retries`}</span>}
      </div>
      <div class="failure-args">
        <span class="muted">args </span>
        <code>{failure.args}</code>
      </div>
      {failure.stack && (
        <>
          <pre class={open ? "stack" : "stack folded"} data-testid="stack">
            {failure.stack}
          </pre>
          {frames > 4 && (
            <button type="button" class="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>
              {open ? "Fold the stack" : `Whole stack (${frames} lines)`}
            </button>
          )}
        </>
      )}
    </li>
  );
}

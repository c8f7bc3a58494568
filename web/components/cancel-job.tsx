import { useState } from "preact/hooks";
import { cancelJob } from "../api.js";

/** Cancels a job by its id: the way to reach a queued job, which no table lists. Disabled once the run has stopped. */
export function CancelJob({ disabled }: { disabled: boolean }) {
  const [id, setId] = useState("");
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, setPending] = useState(false);
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const jobId = id.trim();
    if (!jobId) return;
    setPending(true);
    try {
      await cancelJob(jobId);
      // The server answers ok for an id it does not know too (it ignores it): say what was done, no more.
      setResult({ ok: true, text: `cancel sent for ${jobId}` });
      setId("");
    } catch (failure) {
      setResult({ ok: false, text: (failure as Error).message });
    } finally {
      setPending(false);
    }
  };
  return (
    <form class="action cancel-job" onSubmit={onSubmit}>
      <input
        type="text"
        data-testid="cancel-input"
        aria-label="job id to cancel"
        placeholder="job id"
        spellcheck={false}
        autocomplete="off"
        value={id}
        disabled={disabled}
        onInput={(event) => setId(event.currentTarget.value)}
      />
      <button type="submit" data-testid="cancel-submit" disabled={disabled || pending || id.trim() === ""}>
        Cancel job
      </button>
      {result && (
        <span class={result.ok ? "action-ok" : "action-error"} role="status">
          {result.text}
        </span>
      )}
    </form>
  );
}

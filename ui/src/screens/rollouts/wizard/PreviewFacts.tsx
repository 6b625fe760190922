import type { PlanPreview } from "../../../bindings/PlanPreview";
import type { AppError } from "../../../ipc";
import { ErrorLine } from "../../../components/ErrorLine";

/** What the server says the plan would do: eligible devices, and why the others are not. */
export function PreviewFacts({
  preview,
  loading,
  error,
}: {
  preview: PlanPreview | undefined;
  loading: boolean;
  error: AppError | null;
}) {
  if (error)
    return (
      <ErrorLine error={error} context="The server could not preview this plan" />
    );
  if (!preview) return <p className="muted">{loading ? "Asking the server which devices are eligible…" : "Choose a package and a profile to see eligible devices."}</p>;
  const total = preview.eligible + preview.skipped;
  return (
    <div className="eligibility" data-testid="eligibility" aria-live="polite">
      <p>
        <strong data-testid="eligible-count">{preview.eligible}</strong> of {total} device{total === 1 ? "" : "s"} in the profile{" "}
        {preview.eligible === 1 ? "is" : "are"} eligible
        {preview.skipped > 0 ? `; ${preview.skipped} ${preview.skipped === 1 ? "is" : "are"} left out:` : "."}
      </p>
      {preview.skipped_by_reason.length > 0 && (
        <ul className="skip-reasons">
          {preview.skipped_by_reason.map((g) => (
            <li key={g.reason}>
              <strong>{g.count}</strong> — {g.description}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

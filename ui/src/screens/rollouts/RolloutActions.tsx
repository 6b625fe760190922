import { useState } from "react";
import type { RolloutAction } from "../../bindings/RolloutAction";
import type { RolloutDetail } from "../../bindings/RolloutDetail";
import type { AppError } from "../../ipc";
import { parsePercent } from "./wizard/plan";
import { Dialog } from "./Dialog";
import { routeHash } from "../../lib/route";
import { thresholdSentence } from "./model";
import { useRetryFailed, useRolloutAction } from "./queries";
import { ErrorLine } from "../../components/ErrorLine";
import { useVerdict } from "../../lib/verdict";

/** Devices a canary of `percent` covers: ceil(percent × eligible / 100), as the server counts. */
export function sliceSize(eligible: number, percent: number): number {
  return Math.min(eligible, Math.ceil((percent * eligible) / 100));
}

/** Pause, Resume, Advance, Rollback and Cancel, enabled as the rollout's `actions` say (none on a
 *  completed rollout); Retry failed devices on a completed rollout that has some. Resume and Advance at or above the failure
 *  threshold ask first, stating the numbers. */
export function RolloutActions({ detail }: { detail: RolloutDetail }) {
  const r = detail.rollout;
  const act = useRolloutAction(r.id);
  const retry = useRetryFailed(r.id);
  const [dialog, setDialog] = useState<"advance" | "rollback" | "resume" | "retry" | "cancel" | null>(null);
  const overThreshold = r.at_or_above_threshold;
  const [percentText, setPercentText] = useState("");
  const allowed = (a: RolloutAction) => detail.actions.includes(a);
  // The last action's failure, on the page while no dialog is open.
  const error = (act.error ?? retry.error) as AppError | null;
  // In a dialog, only the refusal of what that dialog asks (its action and, for Advance, the
  // percentage typed): another percentage or another dialog makes it stale (useVerdict).
  const asking = dialog === "advance" ? `advance ${percentText}` : dialog;
  const { verdict: refusal, settle: refused, clear: clearRefusal } = useVerdict<string | null, AppError>(asking);
  const onError = (given: string | null) => (e: unknown) => refused(given, e as AppError);
  const run = (action: RolloutAction, canary?: number) => {
    clearRefusal();
    act.mutate({ action, canary }, { onSuccess: () => setDialog(null), onError: onError(asking) });
  };

  const parsed = parsePercent("new canary percentage", percentText, 1);
  const advanceProblem =
    typeof parsed === "string" ? parsed : parsed <= r.canary_percent ? `Advancing raises the slice: enter more than the current ${r.canary_percent} %.` : null;
  const newDevices = typeof parsed === "number" && !advanceProblem ? Math.max(0, sliceSize(r.eligible_count, parsed) - r.in_slice) : 0;
  const withdrawn = r.counters.scheduled;
  // Cancel: devices told (command out, installing, or silent past the deadline) get ota_cancel;
  // the rest of the rollout's devices are never told.
  const told = r.counters.command_sent + r.counters.in_progress + r.counters.timed_out;
  const neverTold = Math.max(0, r.eligible_count - r.in_slice) + r.counters.scheduled;

  const button = (a: RolloutAction, label: string, onClick: () => void, cls?: string) => (
    <button
      type="button"
      className={cls}
      disabled={!allowed(a) || act.isPending}
      onClick={onClick}
      data-testid={`action-${a}`}
      title={allowed(a) ? undefined : (detail.actions_note ?? `Not possible while the rollout is ${r.status.replace("_", " ")}.`)}
    >
      {label}
    </button>
  );

  return (
    <div className="rollout-actions">
      <div className="actions" role="group" aria-label="Rollout actions" aria-describedby={detail.actions_note ? "actions-note" : undefined}>
        {/* A completed rollout takes no operator action again: its buttons would only crowd the one
            thing left to do, retrying its failures. */}
        {r.status !== "completed" && r.status !== "cancelled" && (
          <>
            {button("pause", "Pause", () => run("pause"))}
            {button("resume", overThreshold ? "Resume…" : "Resume", () => (overThreshold ? setDialog("resume") : run("resume")))}
            {button("advance", "Advance…", () => {
              // A phased rollout advances to its next phase by hand as the gate would; a plain
              // canary doubles (at least +10 %).
              const next = r.phase?.next_percent ?? Math.min(100, Math.max(r.canary_percent * 2, r.canary_percent + 10));
              setPercentText(String(next));
              setDialog("advance");
            })}
            {button("rollback", "Rollback…", () => setDialog("rollback"), "danger")}
            {button("cancel", "Cancel rollout…", () => setDialog("cancel"), "danger")}
          </>
        )}
        {detail.retry_failed > 0 && (
          <button type="button" onClick={() => setDialog("retry")} disabled={retry.isPending} data-testid="action-retry-failed">
            Retry failed devices…
          </button>
        )}
      </div>
      {detail.actions_note && (
        <p id="actions-note" className="muted actions-note" data-testid="actions-note">
          {detail.actions_note}
        </p>
      )}
      {error && !dialog && (
        <ErrorLine error={error} testId="action-error" />
      )}
      {dialog === "advance" && (
        <Dialog title={r.phase ? "Advance to the next phase" : "Advance the canary"} onCancel={() => setDialog(null)} testId="advance-dialog">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (!advanceProblem && typeof parsed === "number") run("advance", parsed);
            }}
            noValidate
          >
            {overThreshold && (
              <p className="error" role="alert" data-testid="advance-threshold-warning">
                {thresholdSentence(r)} Advance anyway?
              </p>
            )}
            <div className="field">
              <label htmlFor="advance-percent">
                New {r.phase ? "slice" : "canary slice"} (now {r.canary_percent} %
                {r.phase && r.phase.next_percent !== null ? `, phase ${r.phase.index + 1} of ${r.phase.count}; phase ${r.phase.index + 2} is ${r.phase.next_percent} %` : ""})
              </label>
              <div className="percent-input">
                <input id="advance-percent" inputMode="numeric" value={percentText} onChange={(e) => setPercentText(e.target.value)} aria-invalid={advanceProblem ? true : undefined} aria-describedby="advance-help" />
                <span aria-hidden="true">%</span>
              </div>
              <p id="advance-help" className={advanceProblem ? "field-error" : "field-note"} role={advanceProblem ? "alert" : undefined}>
                {advanceProblem ?? `Schedules ${newDevices} more device${newDevices === 1 ? "" : "s"} (${sliceSize(r.eligible_count, typeof parsed === "number" ? parsed : 0)} of ${r.eligible_count} in the slice).`}
              </p>
            </div>
            {refusal && <ErrorLine error={refusal} />}
            <div className="actions end">
              <button type="button" onClick={() => setDialog(null)}>
                Cancel
              </button>
              <button type="submit" className="primary" disabled={!!advanceProblem || act.isPending} data-testid="confirm-advance">
                {typeof parsed === "number" && !advanceProblem ? `Advance${overThreshold ? " anyway" : ""} to ${parsed} %` : "Advance"}
              </button>
            </div>
          </form>
        </Dialog>
      )}
      {dialog === "resume" && (
        <Dialog title="Resume above the failure threshold?" onCancel={() => setDialog(null)} testId="resume-dialog">
          <p data-testid="resume-summary">{thresholdSentence(r)} Resume anyway?</p>
          <p className="muted">The devices still waiting get the update; the threshold pauses the rollout again at the next failure above it.</p>
          {refusal && <ErrorLine error={refusal} />}
          <div className="actions end">
            <button type="button" onClick={() => setDialog(null)}>
              Cancel
            </button>
            <button type="button" className="primary" disabled={act.isPending} onClick={() => run("resume")} data-testid="confirm-resume">
              Resume anyway
            </button>
          </div>
        </Dialog>
      )}
      {dialog === "retry" && (
        <Dialog title="Retry the failed devices?" onCancel={() => setDialog(null)} testId="retry-dialog">
          <p data-testid="retry-summary">
            A new rollout of {r.package_version} to exactly the <strong>{detail.retry_failed}</strong> device{detail.retry_failed === 1 ? "" : "s"} that failed or
            timed out here, all at once, with the same {r.failure_threshold_percent} % threshold
            {r.rollback_version || r.rollback_package_id ? ` and rollback to ${r.rollback_version ?? r.rollback_package_id}` : ""}.
          </p>
          {refusal && <ErrorLine error={refusal} />}
          <div className="actions end">
            <button type="button" onClick={() => setDialog(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="primary"
              disabled={retry.isPending}
              data-testid="confirm-retry-failed"
              onClick={() => {
                clearRefusal();
                retry.mutate(undefined, {
                  onSuccess: (started) => {
                    setDialog(null);
                    window.location.hash = routeHash("rollouts", started.id);
                  },
                  onError: onError(asking),
                });
              }}
            >
              Retry {detail.retry_failed} device{detail.retry_failed === 1 ? "" : "s"}
            </button>
          </div>
        </Dialog>
      )}
      {dialog === "cancel" && (
        <Dialog title="Cancel this rollout for good?" onCancel={() => setDialog(null)} testId="cancel-dialog">
          <p data-testid="cancel-summary">
            <strong>{neverTold}</strong> device{neverTold === 1 ? "" : "s"} not yet told will never be told;{" "}
            <strong>{told}</strong> device{told === 1 ? "" : "s"} already told will be sent a cancel command. Devices that
            installed the update keep it (a rollback is what takes it back).
          </p>
          {refusal && <ErrorLine error={refusal} />}
          <div className="actions end">
            <button type="button" onClick={() => setDialog(null)}>
              Keep it
            </button>
            <button type="button" className="danger-solid" disabled={act.isPending} onClick={() => run("cancel")} data-testid="confirm-cancel">
              Cancel the rollout
            </button>
          </div>
        </Dialog>
      )}
      {dialog === "rollback" && (
        <Dialog title="Roll back this rollout?" onCancel={() => setDialog(null)} testId="rollback-dialog">
          <p data-testid="rollback-summary">
            {r.rollback_version || r.rollback_package_id ? (
              <>
                <strong>{detail.rollback_reach}</strong> device{detail.rollback_reach === 1 ? "" : "s"} the update reached will be sent{" "}
                <strong>{r.rollback_version ?? r.rollback_package_id}</strong>.
              </>
            ) : (
              <>This rollout has no rollback package: no device is sent an older build.</>
            )}
          </p>
          <ul className="consequences">
            {withdrawn > 0 && <li>{withdrawn} scheduled device{withdrawn === 1 ? "" : "s"} will not get {r.package_version}.</li>}
            {r.counters.failed > 0 && <li>{r.counters.failed} failed device{r.counters.failed === 1 ? "" : "s"} stayed on their previous build and are left alone.</li>}
            <li>The rollout cannot be resumed afterwards; it completes once every device answered.</li>
          </ul>
          {refusal && <ErrorLine error={refusal} />}
          <div className="actions end">
            <button type="button" onClick={() => setDialog(null)}>
              Cancel
            </button>
            <button type="button" className="danger-solid" disabled={act.isPending} onClick={() => run("rollback")} data-testid="confirm-rollback">
              Roll back {detail.rollback_reach} device{detail.rollback_reach === 1 ? "" : "s"}
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}

import { useEffect, useMemo, useRef, useState } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import * as ipc from "../../../ipc";
import type { AppError } from "../../../ipc";
import { useActiveConnection, useCatalog } from "../../../lib/queries";
import { guardLeaving } from "../../../lib/route";
import { useNow } from "../../../lib/useNow";
import { useVerdict } from "../../../lib/verdict";
import { Dialog } from "../Dialog";
import { useTargets } from "../queries";
import {
  EMPTY_DRAFT,
  hasProblems,
  isDirty,
  needsAllAtOnceConfirmation,
  previewPlan,
  previewProblem,
  schedulingProblems,
  strategyNotes,
  strategyProblems,
  targetProblems,
  toPlan,
  type Draft,
} from "./plan";
import { phaseProblems } from "./phases";
import { ReviewStep } from "./ReviewStep";
import { ScheduleStep } from "./ScheduleStep";
import { StrategyStep } from "./StrategyStep";
import { TargetStep } from "./TargetStep";
import { ErrorLine } from "../../../components/ErrorLine";

const STEPS = ["Package and target", "Strategy", "Schedule", "Review and start"] as const;
const LAST = STEPS.length - 1;
const NEXT_LABEL = ["Next: strategy", "Next: schedule", "Next: review"];

/** Package → target profile → strategy → review → start. Nothing reaches the server but
 *  previews until the last button. */
export function RolloutWizard({
  initialPackageId,
  onStarted,
  onCancel,
  onOpenRollout,
}: {
  /** A package chosen before the wizard opened (an upload's result, the catalog). */
  initialPackageId?: string;
  onStarted: (id: string) => void;
  onCancel: () => void;
  /** Opens another rollout (the one that conflicts with this plan). */
  onOpenRollout?: (id: string) => void;
}) {
  const active = useActiveConnection();
  const catalog = useCatalog();
  const targets = useTargets(true);
  const client = useQueryClient();
  const [step, setStep] = useState(0);
  // What the wizard opened with is not the person's input: leaving it untouched asks nothing.
  const [initial] = useState<Draft>(() => ({ ...EMPTY_DRAFT, packageId: initialPackageId ?? "" }));
  const [draft, setDraft] = useState<Draft>(initial);
  const [tried, setTried] = useState(false);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  // A start time must stay in the future while the person looks at it.
  const nowMs = useNow(15_000);

  const packages = useMemo(() => catalog.data?.packages ?? [], [catalog.data]);
  const profiles = targets.data ?? [];
  const ctx = { packages, profiles };
  const target = targetProblems(draft, ctx);
  const strategy = strategyProblems(draft, ctx);
  const scheduling = schedulingProblems(draft, nowMs);
  // Preview as soon as the target is sound; with the strategy's and the schedule's choices
  // once they are sound too.
  const plan = previewPlan(draft, ctx, nowMs);
  const preview = useQuery({
    queryKey: ["rollout-preview", active, plan],
    queryFn: () => ipc.rolloutPreview(plan!),
    enabled: plan !== null,
    placeholderData: keepPreviousData,
    retry: false,
  });
  const previewData = plan ? preview.data : undefined;
  // How many devices run a newer version: the preview without the downgrade says (with it,
  // they count as eligible). The same query as above unless the box is ticked.
  const noDowngradePlan = plan && { ...plan, allow_downgrade: false };
  const noDowngrade = useQuery({
    queryKey: ["rollout-preview", active, noDowngradePlan],
    queryFn: () => ipc.rolloutPreview(noDowngradePlan!),
    enabled: noDowngradePlan !== null,
    placeholderData: keepPreviousData,
    retry: false,
  });
  const newerDevices = plan ? (noDowngrade.data?.would_downgrade ?? 0) : 0;
  // Leaving with entered data (the sidebar, a link, a notification) asks first.
  const [leaving, setLeaving] = useState<(() => void) | null>(null);
  const [confirmAll, setConfirmAll] = useState(false);
  const dirty = isDirty(draft, initial);
  const releaseGuard = useRef<(() => void) | null>(null);
  useEffect(() => {
    if (!dirty) return;
    const release = guardLeaving((proceed) => {
      setLeaving(() => proceed);
      return true;
    });
    releaseGuard.current = release;
    return release;
  }, [dirty]);
  const release = () => releaseGuard.current?.();
  const notes = strategyNotes(draft, ctx, hasProblems(strategy) ? undefined : previewData);
  const blocking = previewProblem(previewData);

  // The server's refusal to start is about the draft it was given: any edit drops it (useVerdict).
  const { verdict: startError, settle: refused, clear: clearRefusal } = useVerdict<Draft, AppError & { conflicting_rollout_id?: string }>(draft);
  const start = useMutation({
    mutationFn: (given: Draft) => ipc.rolloutStart(toPlan(given)),
    onSuccess: (started) => {
      setConfirmAll(false);
      void client.invalidateQueries({ queryKey: ["rollouts"] });
      onStarted(started.id);
    },
    onMutate: clearRefusal,
    onError: (error, given) => refused(given, error as unknown as AppError),
  });
  const conflictOnStart = startError?.conflicting_rollout_id ?? null;

  const stepProblems = [target, strategy, scheduling, {}][step];
  const canContinue = !hasProblems(stepProblems) && !(step === 0 && (blocking || !previewData));
  const next = () => {
    setTried(true);
    if (canContinue) {
      setTried(false);
      setStep((s) => s + 1);
    }
  };
  // Problems show once the person tried to go on, or once the field was touched (non-empty).
  const shown = (p: typeof target) =>
    Object.fromEntries(Object.entries(p).filter(([k]) => tried || (draft as unknown as Record<string, unknown>)[k] !== "")) as typeof target;
  // A phase's empty field is explained once the person tried to go on, like the others.
  const phases = phaseProblems(draft.phases);
  const shownPhases = {
    list: phases.list,
    rows: phases.rows.map((r, i) =>
      Object.fromEntries(Object.entries(r).filter(([k]) => tried || draft.phases[i][k as "percent"].trim() !== "")),
    ),
  };

  return (
    <div className="wizard rollout-wizard">
      <ol className="steps" aria-label="Steps">
        {STEPS.map((label, i) => (
          <li key={label} className={i === step ? "current" : i < step ? "done" : undefined} aria-current={i === step ? "step" : undefined}>
            {i + 1}. {label}
          </li>
        ))}
      </ol>
      <form
        className="wizard-step"
        aria-labelledby="wizard-step-title"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (step < LAST) next();
          else if (blocking) return;
          else if (needsAllAtOnceConfirmation(draft, previewData)) setConfirmAll(true);
          else start.mutate(draft);
        }}
      >
        <h2 id="wizard-step-title">{STEPS[step]}</h2>
        {step === 0 && (
          <TargetStep
            draft={draft}
            set={set}
            packages={packages}
            profiles={profiles}
            profilesLoading={targets.isLoading}
            problems={shown(target)}
            preview={{ data: previewData, loading: preview.isFetching, error: (preview.error as AppError | null) ?? null }}
            blocking={blocking}
            newerDevices={newerDevices}
            onOpenRollout={onOpenRollout}
          />
        )}
        {step === 1 && (
          <StrategyStep
            draft={draft}
            set={set}
            packages={packages}
            problems={shown(strategy)}
            notes={notes}
            preview={hasProblems(strategy) ? undefined : previewData}
            phaseProblems={shownPhases}
          />
        )}
        {step === 2 && <ScheduleStep draft={draft} set={set} problems={shown(scheduling)} preview={hasProblems(scheduling) ? undefined : previewData} />}
        {step === LAST && (
          <ReviewStep
            nowMs={nowMs}
            draft={draft}
            pkg={packages.find((p) => p.id === draft.packageId)}
            rollback={packages.find((p) => p.id === draft.rollbackPackageId)}
            profile={profiles.find((p) => p.id === draft.profileId)}
            preview={previewData}
          />
        )}
        {/* A rule the checks above missed: the server's own sentence, before Start is pressed. */}
        {step > 0 && preview.error && (
          <ErrorLine error={preview.error as unknown as AppError} context="The server would not take this plan" />
        )}
        {step === LAST && hasProblems(scheduling) && (
          <p className="field-error" role="alert" data-testid="review-problem">
            {Object.values(scheduling).find(Boolean)} Go back to the schedule to change it.
          </p>
        )}
        {startError && (
          <div className="error-box" role="alert" data-testid="start-error">
            <strong>The server did not start the rollout</strong>
            <p>
              {startError.message} <code>{startError.code}</code>
            </p>
            {/* Another rollout took some of these devices since the preview (the desk's error keeps its id). */}
            {conflictOnStart && onOpenRollout && (
              <button type="button" className="link" onClick={() => onOpenRollout(conflictOnStart)} data-testid="open-start-conflict">
                Open rollout {conflictOnStart}
              </button>
            )}
          </div>
        )}
        {targets.error && (
          <ErrorLine error={targets.error as unknown as AppError} context="Profiles could not be loaded" />
        )}
        <div className="actions">
          <button type="button" onClick={step === 0 ? onCancel : () => setStep((s) => s - 1)}>
            {step === 0 ? "Cancel" : "Back"}
          </button>
          {step < LAST ? (
            <button type="submit" className="primary" aria-disabled={!canContinue || undefined}>
              {NEXT_LABEL[step]}
            </button>
          ) : (
            <button type="submit" className="primary" disabled={start.isPending || !previewData || !!blocking || hasProblems(scheduling)} data-testid="start-rollout">
              {start.isPending
                ? "Starting…"
                : `${draft.startMode === "at" ? "Schedule" : "Start"} rollout on ${previewData?.scheduled ?? "…"} device${previewData?.scheduled === 1 ? "" : "s"}`}
            </button>
          )}
        </div>
      </form>
      {confirmAll && previewData && (
        <Dialog title="Update every device at once?" onCancel={() => setConfirmAll(false)} testId="all-at-once-dialog">
          <p data-testid="all-at-once-summary">
            All at once sends the update to all <strong>{previewData.scheduled}</strong> eligible devices now, with no canary first. Only the{" "}
            {draft.failureThreshold} % failure threshold can stop it.
          </p>
          <div className="actions end">
            <button type="button" onClick={() => setConfirmAll(false)}>
              Cancel
            </button>
            <button type="button" className="primary" disabled={start.isPending} onClick={() => start.mutate(draft)} data-testid="confirm-all-at-once">
              Start on {previewData.scheduled} devices
            </button>
          </div>
        </Dialog>
      )}
      {leaving && (
        <Dialog title="Leave the rollout wizard?" onCancel={() => setLeaving(null)} testId="leave-wizard-dialog">
          <p>The choices you entered are not saved: leaving discards them and starts nothing.</p>
          <div className="actions end">
            <button type="button" onClick={() => setLeaving(null)} data-testid="stay-in-wizard">
              Stay
            </button>
            <button
              type="button"
              className="danger-solid"
              data-testid="leave-wizard"
              onClick={() => {
                const proceed = leaving;
                setLeaving(null);
                release();
                proceed();
              }}
            >
              Leave and discard
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}

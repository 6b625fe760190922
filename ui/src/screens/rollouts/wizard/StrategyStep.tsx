import type { PackageSummary } from "../../../bindings/PackageSummary";
import type { PlanPreview } from "../../../bindings/PlanPreview";
import { describedBy, Field } from "./Field";
import type { PhaseProblems } from "./phases";
import { PhasesEditor } from "./PhasesEditor";
import type { Draft, Problems, Strategy } from "./plan";

interface Props {
  draft: Draft;
  set: (patch: Partial<Draft>) => void;
  packages: PackageSummary[];
  problems: Problems;
  notes: Problems;
  preview: PlanPreview | undefined;
  /** The phases' problems, per phase and field (shown under each). */
  phaseProblems: PhaseProblems;
}

const MIN_DEVICES_HINT = "Devices with a verdict before failures can pause the rollout (0: from the first).";

const STRATEGIES: { id: Strategy; label: string; hint: string }[] = [
  { id: "canary", label: "Canary", hint: "A small slice first; you advance it by hand." },
  { id: "phased", label: "Phases", hint: "Widening slices that advance by themselves while healthy." },
  { id: "rolling", label: "Rolling", hint: "Batches that advance by themselves while healthy." },
  { id: "all_at_once", label: "All at once", hint: "Every eligible device now." },
];

/** Step 2: how fast, and what stops it. */
export function StrategyStep({ draft, set, packages, problems, notes, preview, phaseProblems }: Props) {
  const pkg = packages.find((p) => p.id === draft.packageId);
  const rollbackChoices = packages.filter((p) => p.id !== draft.packageId && (!pkg || p.device_type === pkg.device_type));
  const percent = (field: "canaryPercent" | "batchPercent" | "failureThreshold", id: string, label: string, hint: string) => (
    <Field id={id} label={label} problem={problems[field]} note={notes[field] ?? hint}>
      <div className="percent-input">
        <input
          id={id}
          inputMode="numeric"
          value={draft[field]}
          onChange={(e) => set({ [field]: e.target.value })}
          {...describedBy(id, problems[field], notes[field] ?? hint)}
        />
        <span aria-hidden="true">%</span>
      </div>
    </Field>
  );
  return (
    <>
      <fieldset className="strategy-choice" aria-describedby={notes.strategy ? "w-strategy-note" : undefined}>
        <legend>Strategy</legend>
        {STRATEGIES.map((s) => (
          <label key={s.id} className={draft.strategy === s.id ? "choice selected" : "choice"}>
            <input type="radio" name="strategy" value={s.id} checked={draft.strategy === s.id} onChange={() => set({ strategy: s.id })} />
            <span>
              <strong>{s.label}</strong>
              <span className="muted hint">{s.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {notes.strategy && (
        <p id="w-strategy-note" className="field-note">
          {notes.strategy}
        </p>
      )}
      {draft.strategy === "phased" && (
        <PhasesEditor
          phases={draft.phases}
          onChange={(phases) => set({ phases })}
          problems={phaseProblems}
          sizes={preview?.phase_sizes ?? null}
        />
      )}
      <div className="field-row">
        {draft.strategy === "canary" &&
          percent("canaryPercent", "w-canary", "Canary slice", "Share of eligible devices that get the update first.")}
        {draft.strategy === "rolling" &&
          percent("batchPercent", "w-batch", "Batch size", "Each batch starts when the previous one finished healthy.")}
        {percent("failureThreshold", "w-threshold", "Failure threshold", "Pause by itself when more than this share of the slice fails.")}
        <Field id="w-min-devices" label="Threshold waits for" problem={problems.minDevices} note={notes.minDevices ?? MIN_DEVICES_HINT}>
          <div className="percent-input">
            <input
              id="w-min-devices"
              inputMode="numeric"
              value={draft.minDevices}
              onChange={(e) => set({ minDevices: e.target.value })}
              {...describedBy("w-min-devices", problems.minDevices, notes.minDevices ?? MIN_DEVICES_HINT)}
            />
            <span aria-hidden="true">devices</span>
          </div>
        </Field>
      </div>
      <div className="field-row">
        <Field id="w-rollback" label="Rollback package" problem={problems.rollbackPackageId} note={notes.rollbackPackageId}>
          <select
            id="w-rollback"
            value={draft.rollbackPackageId}
            onChange={(e) => set({ rollbackPackageId: e.target.value })}
            {...describedBy("w-rollback", problems.rollbackPackageId, notes.rollbackPackageId)}
          >
            <option value="">No rollback package</option>
            {rollbackChoices.map((p) => (
              <option key={p.id} value={p.id}>
                {p.device_type} {p.version}
              </option>
            ))}
          </select>
        </Field>
        <div className="field">
          <span className="label">Already updated devices</span>
          <label className="radio">
            <input type="checkbox" checked={draft.force} onChange={(e) => set({ force: e.target.checked })} aria-describedby="w-force-note" />
            Force: also re-install on devices already on this version
          </label>
          <p id="w-force-note" className="field-note">
            {notes.force ?? "Off: devices that already run this version are skipped."}
          </p>
        </div>
      </div>
      {preview && (
        <p className="muted" data-testid="strategy-count" aria-live="polite">
          Starts with <strong>{preview.scheduled}</strong> of {preview.eligible} eligible device{preview.eligible === 1 ? "" : "s"}.
        </p>
      )}
    </>
  );
}

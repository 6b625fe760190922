import { FieldError } from "../../../components/FieldError";
import {
  addPhase,
  MAX_PHASES,
  movePhase,
  presetOf,
  presetPhases,
  PRESETS,
  removePhase,
  type PhaseDraft,
  type PhaseProblems,
  type PhaseRowProblems,
} from "./phases";

interface Props {
  phases: PhaseDraft[];
  onChange: (phases: PhaseDraft[]) => void;
  /** Problems to show (already filtered to what the person touched or tried). */
  problems: PhaseProblems;
  /** Devices each phase's slice holds, from the server's preview (null until it answers). */
  sizes: number[] | null;
}

const FIELDS: { key: keyof PhaseDraft & keyof PhaseRowProblems; label: string; unit?: string; hint: string }[] = [
  { key: "percent", label: "slice", unit: "%", hint: "of the target" },
  { key: "soak", label: "soak time", hint: "e.g. 1h, 30m, 0" },
  { key: "gate", label: "health gate", unit: "%", hint: "must succeed" },
];

/** The phases of a self-advancing rollout: a preset, or phases added, removed, reordered and
 *  edited one by one, each problem under its phase. */
export function PhasesEditor({ phases, onChange, problems, sizes }: Props) {
  const preset = presetOf(phases);
  const set = (i: number, patch: Partial<PhaseDraft>) => onChange(phases.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  const id = (i: number, key: string) => `w-phase-${i + 1}-${key}`;
  return (
    <div className="phases-editor" data-testid="phases-editor">
      <fieldset className="preset-choice">
        <legend>Preset</legend>
        {PRESETS.map((p) => (
          <label key={p.id} className={preset === p.id ? "choice selected" : "choice"}>
            <input type="radio" name="phase-preset" value={p.id} checked={preset === p.id} onChange={() => onChange(presetPhases(p.id) ?? phases)} />
            <span>
              <strong>{p.label}</strong>
              <span className="muted hint">{p.hint}</span>
            </span>
          </label>
        ))}
        <label className={preset === "custom" ? "choice selected" : "choice"}>
          <input
            type="radio"
            name="phase-preset"
            value="custom"
            checked={preset === "custom"}
            onChange={() => document.getElementById(id(0, "percent"))?.focus()}
          />
          <span>
            <strong>Custom</strong>
            <span className="muted hint">Edit, add, remove or reorder the phases below.</span>
          </span>
        </label>
      </fieldset>
      <ol className="phase-list" aria-label="Phases">
        <li className="phase-head" aria-hidden="true">
          <span>#</span>
          <span>Slice of the target</span>
          <span>Soak after the last verdict</span>
          <span>Health gate</span>
          <span>Devices</span>
          <span />
        </li>
        {phases.map((p, i) => {
          const rowProblems = problems.rows[i] ?? {};
          return (
            <li key={i} className="phase-row" data-testid={`phase-${i + 1}`}>
              <span className="phase-number">{i + 1}</span>
              {FIELDS.map((f) => {
                const fid = id(i, f.key);
                const problem = rowProblems[f.key];
                return (
                  <span key={f.key} className="phase-cell">
                    <span className="percent-input">
                      <input
                        id={fid}
                        aria-label={`Phase ${i + 1} ${f.label}`}
                        inputMode={f.unit ? "numeric" : "text"}
                        value={p[f.key]}
                        placeholder={f.hint}
                        onChange={(e) => set(i, { [f.key]: e.target.value })}
                        aria-invalid={problem ? true : undefined}
                        aria-describedby={problem ? `${fid}-problem` : undefined}
                      />
                      {f.unit && <span aria-hidden="true">{f.unit}</span>}
                    </span>
                    <FieldError id={`${fid}-problem`} message={problem} />
                  </span>
                );
              })}
              <span className="phase-devices" data-testid={`phase-${i + 1}-devices`}>
                {sizes?.[i] ?? "—"}
              </span>
              <span className="phase-actions">
                <button type="button" className="icon" aria-label={`Move phase ${i + 1} up`} title="Move up" disabled={i === 0} onClick={() => onChange(movePhase(phases, i, -1))}>
                  ↑
                </button>
                <button
                  type="button"
                  className="icon"
                  aria-label={`Move phase ${i + 1} down`}
                  title="Move down"
                  disabled={i === phases.length - 1}
                  onClick={() => onChange(movePhase(phases, i, 1))}
                >
                  ↓
                </button>
                <button type="button" className="icon" aria-label={`Remove phase ${i + 1}`} title="Remove" onClick={() => onChange(removePhase(phases, i))}>
                  ✕
                </button>
              </span>
            </li>
          );
        })}
      </ol>
      <div className="phase-footer">
        <button type="button" onClick={() => onChange(addPhase(phases))} disabled={phases.length >= MAX_PHASES} data-testid="add-phase">
          Add phase
        </button>
        <span className="muted">
          Each phase widens the slice once the one before has a verdict from every device, met its health gate and soaked. The failure threshold still pauses at any time.
        </span>
      </div>
      <FieldError id="w-phases-problem" message={problems.list} />
    </div>
  );
}

// A phased plan as the wizard edits it: phases typed as text (so "" and "12.5" can be explained),
// the presets (generated from airlift-core's `phases::presets`), and the checks the server
// applies (airlift-core `phases::validate_phases`) in sentences that say what to change, next to
// the phase and the field they are about.
import { MAX_PHASES, MAX_SOAK_SECONDS, PHASE_PRESETS } from "../../../bindings/phasePresets";
import type { PlanPhase } from "../../../bindings/PlanPhase";
import { durationText, formatDuration, parseDuration } from "../../../lib/duration";

export interface PhaseDraft {
  /** The slice once this phase is reached, in percent of the eligible devices. */
  percent: string;
  /** How long to wait after the slice's last verdict before the next phase ("1h", "30m", "0"). */
  soak: string;
  /** The share of the slice that must succeed before the next phase (the health gate). */
  gate: string;
}

export { MAX_PHASES, MAX_SOAK_SECONDS };

/** A preset's name (airlift-core `phases::presets`), or "custom": whatever the person edited. */
export type PresetId = string;
export const CUSTOM: PresetId = "custom";

const phase = (percent: number, soakSeconds: number, gate: number): PhaseDraft => ({
  percent: String(percent),
  soak: durationText(soakSeconds),
  gate: String(gate),
});

/** The presets, as drafts: generated from airlift-core's list (the one `airlift-cli rollout
 *  start --preset NAME` takes), never written here. */
export const PRESETS: { id: PresetId; label: string; hint: string; phases: PhaseDraft[] }[] = PHASE_PRESETS.map((p) => ({
  id: p.name,
  label: p.label,
  hint: p.hint,
  phases: p.phases.map((x) => phase(x.percent, x.soak_seconds, x.min_success_percent)),
}));

/** The wizard's first choice: the first preset. */
export const DEFAULT_PRESET: PresetId = PHASE_PRESETS[0].name;

export function presetPhases(id: PresetId): PhaseDraft[] | null {
  return PRESETS.find((p) => p.id === id)?.phases.map((p) => ({ ...p })) ?? null;
}

/** Which preset `phases` are (unchanged), else "custom". */
export function presetOf(phases: PhaseDraft[]): PresetId {
  const same = (a: PhaseDraft[], b: PhaseDraft[]) =>
    a.length === b.length && a.every((p, i) => p.percent.trim() === b[i].percent && parseDuration(p.soak) === parseDuration(b[i].soak) && p.gate.trim() === b[i].gate);
  return PRESETS.find((p) => same(phases, p.phases))?.id ?? CUSTOM;
}

/** A phase added after `phases`: halfway between the last two slices (or to 100 %), the
 *  same soak and gate as the last one. */
export function nextPhase(phases: PhaseDraft[]): PhaseDraft {
  const last = phases[phases.length - 1];
  if (!last) return phase(100, 0, 0);
  const lastPercent = Number(last.percent) || 0;
  const before = phases.length > 1 ? Number(phases[phases.length - 2].percent) || 0 : 0;
  // Inserted before a 100 % end, a new phase goes between; after anything else, to 100 %.
  const percent = lastPercent >= 100 ? Math.max(before + 1, Math.floor((before + 100) / 2)) : 100;
  return { percent: String(Math.min(percent, 100)), soak: last.soak, gate: last.gate };
}

/** Adds a phase: before the final 100 % one (a plan must end there), else at the end. */
export function addPhase(phases: PhaseDraft[]): PhaseDraft[] {
  const next = nextPhase(phases);
  const last = phases[phases.length - 1];
  if (last && last.percent.trim() === "100" && next.percent !== "100")
    return [...phases.slice(0, -1), next, last];
  return [...phases, next];
}

export function removePhase(phases: PhaseDraft[], index: number): PhaseDraft[] {
  return phases.filter((_, i) => i !== index);
}

/** Swaps phase `index` with its neighbour (`by` -1: up, +1: down); out of range: unchanged. */
export function movePhase(phases: PhaseDraft[], index: number, by: -1 | 1): PhaseDraft[] {
  const to = index + by;
  if (index < 0 || to < 0 || index >= phases.length || to >= phases.length) return phases;
  const out = [...phases];
  [out[index], out[to]] = [out[to], out[index]];
  return out;
}

export interface PhaseRowProblems {
  percent?: string;
  soak?: string;
  gate?: string;
}

export interface PhaseProblems {
  /** About the list as a whole (how many, where it ends). */
  list?: string;
  rows: PhaseRowProblems[];
}

/** Every problem of a phased plan, per phase and field; empty when the server would take it. */
export function phaseProblems(phases: PhaseDraft[]): PhaseProblems {
  const rows: PhaseRowProblems[] = phases.map(() => ({}));
  let list: string | undefined;
  if (phases.length === 0) list = "Add at least one phase (a single 100 % phase updates every device at once).";
  if (phases.length > MAX_PHASES) list = `A plan has at most ${MAX_PHASES} phases; remove ${phases.length - MAX_PHASES}.`;
  let previous: number | null = null;
  phases.forEach((p, i) => {
    const n = i + 1;
    const t = p.percent.trim();
    if (!t) rows[i].percent = `Enter phase ${n}'s slice: a whole percent from 1 to 100.`;
    else if (!/^\d+$/.test(t)) rows[i].percent = `Phase ${n}'s slice is a whole percent from 1 to 100, not "${t}".`;
    else {
      const v = Number(t);
      if (v < 1 || v > 100) rows[i].percent = `Phase ${n}'s slice must be between 1 and 100 %, not ${v}.`;
      else if (previous !== null && v <= previous)
        rows[i].percent = `Phase ${n} must cover more than phase ${n - 1}'s ${previous} %: each phase widens the rollout (move it up, or raise it).`;
      previous = v;
    }
    const soak = p.soak.trim();
    const seconds = parseDuration(soak);
    if (!soak) rows[i].soak = `Enter phase ${n}'s soak time, e.g. 1h or 30m (0 moves on at once).`;
    else if (/^-/.test(soak)) rows[i].soak = `A soak time cannot be negative; use 0 to move on as soon as the gate is met.`;
    else if (seconds === null) rows[i].soak = `"${soak}" is not a duration: write 90s, 30m or 2h (0 for none).`;
    else if (seconds > MAX_SOAK_SECONDS) rows[i].soak = `A soak can last at most 30 days, not ${formatDuration(seconds)}.`;
    const g = p.gate.trim();
    if (!g) rows[i].gate = `Enter phase ${n}'s health gate: the percent of its slice that must succeed (0–100).`;
    else if (!/^\d+$/.test(g)) rows[i].gate = `The health gate is a whole percent from 0 to 100, not "${g}".`;
    else if (Number(g) > 100) rows[i].gate = `The health gate must be between 0 and 100 %, not ${Number(g)}.`;
  });
  const last = phases[phases.length - 1];
  if (!list && last && !rows[phases.length - 1].percent && Number(last.percent.trim()) !== 100)
    list = `The last phase must reach 100 % so every eligible device gets the update; it stops at ${last.percent.trim()} %. Add a 100 % phase or raise the last one.`;
  return { list, rows };
}

export function hasPhaseProblems(p: PhaseProblems): boolean {
  return !!p.list || p.rows.some((r) => r.percent || r.soak || r.gate);
}

/** The first problem in reading order, for the step's summary. */
export function firstPhaseProblem(p: PhaseProblems): string | undefined {
  for (const r of p.rows) {
    const first = r.percent ?? r.soak ?? r.gate;
    if (first) return first;
  }
  return p.list;
}

/** The phases for the server; only called once there are no problems. */
export function toPhases(phases: PhaseDraft[]): PlanPhase[] {
  return phases.map((p) => ({
    percent: Number(p.percent.trim()),
    soak_seconds: parseDuration(p.soak) ?? 0,
    min_success_percent: Number(p.gate.trim()),
  }));
}

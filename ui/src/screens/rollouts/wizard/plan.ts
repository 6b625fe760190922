// The rollout wizard's choices and their validation. Every problem is a sentence shown next to
// its field; `blocking` problems keep the wizard from moving on, `notes` only inform.
import type { PackageSummary } from "../../../bindings/PackageSummary";
import type { PlanPreview } from "../../../bindings/PlanPreview";
import type { RolloutPlan } from "../../../bindings/RolloutPlan";
import type { TargetProfile } from "../../../bindings/TargetProfile";
import { localTimeZone } from "../../../lib/timeZones";
import { DEFAULT_PRESET, firstPhaseProblem, phaseProblems, presetPhases, toPhases, type PhaseDraft } from "./phases";
import { emptySchedule, scheduleProblems, toRetry, toStartAt, toWindow, type ScheduleDraft } from "./schedule";

/** "phased" is the server's canary strategy with `phases`: it advances itself. */
export type Strategy = "canary" | "phased" | "rolling" | "all_at_once";

export interface Draft extends ScheduleDraft {
  packageId: string;
  profileId: string;
  strategy: Strategy;
  /** Text as typed, so "" and "12.5" can be explained rather than silently coerced. */
  canaryPercent: string;
  failureThreshold: string;
  rollbackPackageId: string;
  batchPercent: string;
  force: boolean;
  /** Include devices that run a newer version (taken back to this package's version). */
  allowDowngrade: boolean;
  /** The phased plan (strategy "phased"). */
  phases: PhaseDraft[];
  /** Verdicts needed before the failure threshold applies ("0": from the first). */
  minDevices: string;
}

export const EMPTY_DRAFT: Draft = {
  packageId: "",
  profileId: "",
  strategy: "canary",
  canaryPercent: "10",
  failureThreshold: "10",
  rollbackPackageId: "",
  batchPercent: "25",
  force: false,
  allowDowngrade: false,
  phases: presetPhases(DEFAULT_PRESET) ?? [],
  minDevices: "0",
  ...emptySchedule(localTimeZone()),
};

/** Whether the person entered anything since the wizard opened with `initial`: leaving the
 *  wizard then asks first. */
export function isDirty(d: Draft, initial: Draft = EMPTY_DRAFT): boolean {
  // By value: phases and days are arrays, and a preset chosen again is no new input.
  return (Object.keys(EMPTY_DRAFT) as DraftField[]).some((k) => JSON.stringify(d[k]) !== JSON.stringify(initial[k]));
}

/** "All at once" over more than this many devices asks for a confirmation stating the count. */
export const CONFIRM_ALL_AT_ONCE_ABOVE = 100;

export function needsAllAtOnceConfirmation(d: Draft, preview: PlanPreview | undefined): boolean {
  return d.strategy === "all_at_once" && (preview?.scheduled ?? 0) > CONFIRM_ALL_AT_ONCE_ABOVE;
}

export type DraftField = keyof Draft;
export type Problems = Partial<Record<DraftField, string>>;

export interface Context {
  packages: PackageSummary[];
  profiles: TargetProfile[];
}

/** A whole percentage in min..=100, or the sentence that says what is wrong with `text`. */
export function parsePercent(label: string, text: string, min: number): number | string {
  const t = text.trim();
  if (!t) return `Enter the ${label} (${min}–100).`;
  if (!/^\d+$/.test(t)) return `The ${label} is a whole number of percent (${min}–100), not "${t}".`;
  const n = Number(t);
  if (n < min || n > 100) return `The ${label} must be between ${min} and 100 %, not ${n}.`;
  return n;
}

function find<T extends { id: string }>(items: T[], id: string): T | undefined {
  return items.find((i) => i.id === id);
}

/** Step 1: the package and the profile. */
export function targetProblems(d: Draft, ctx: Context): Problems {
  const p: Problems = {};
  const pkg = find(ctx.packages, d.packageId);
  const profile = find(ctx.profiles, d.profileId);
  if (!pkg) p.packageId = "Choose the package to roll out.";
  if (!profile) p.profileId = "Choose the device profile to target.";
  if (pkg && profile && profile.device_type !== pkg.device_type)
    p.profileId = `Profile "${profile.name}" holds ${profile.device_type} devices, but package ${pkg.version} is for ${pkg.device_type}: no device would be eligible.`;
  return p;
}

/** Step 2: the strategy and its safety settings. */
export function strategyProblems(d: Draft, ctx: Context): Problems {
  const p: Problems = {};
  if (d.strategy === "phased") {
    const first = firstPhaseProblem(phaseProblems(d.phases));
    if (first) p.phases = first;
  }
  const m = d.minDevices.trim();
  if (m && (!/^\d+$/.test(m) || Number(m) > MAX_MIN_DEVICES))
    p.minDevices = /^\d+$/.test(m)
      ? `At most ${MAX_MIN_DEVICES.toLocaleString("en-US")} devices, not ${m}.`
      : `Enter a whole number of devices (0: the threshold applies from the first verdict), not "${m}".`;
  if (d.strategy === "canary") {
    const c = parsePercent("canary percentage", d.canaryPercent, 1);
    if (typeof c === "string") p.canaryPercent = c;
  }
  if (d.strategy === "rolling") {
    const b = parsePercent("batch size", d.batchPercent, 1);
    if (typeof b === "string") p.batchPercent = b;
  }
  const t = parsePercent("failure threshold", d.failureThreshold, 0);
  if (typeof t === "string") p.failureThreshold = t;
  const pkg = find(ctx.packages, d.packageId);
  if (d.rollbackPackageId) {
    const rb = find(ctx.packages, d.rollbackPackageId);
    if (!rb) p.rollbackPackageId = "That rollback package is not in the catalog any more.";
    else if (rb.id === d.packageId)
      p.rollbackPackageId = "The rollback package must differ from the package being rolled out.";
    else if (pkg && rb.device_type !== pkg.device_type)
      p.rollbackPackageId = `Package ${rb.version} is for ${rb.device_type}, not ${pkg.device_type}: devices could not install it.`;
  }
  return p;
}

/** The largest `min_devices` the server takes (rollouts/request.rs `MAX_MIN_DEVICES`). */
export const MAX_MIN_DEVICES = 100_000_000;

/** Step 3: when it may act, and retries. */
export function schedulingProblems(d: Draft, nowMs: number): Problems {
  return scheduleProblems(d, nowMs);
}

/** Sentences that inform without blocking (shown next to their field). */
export function strategyNotes(d: Draft, ctx: Context, preview: PlanPreview | undefined): Problems {
  const n: Problems = {};
  const pkg = find(ctx.packages, d.packageId);
  const rb = find(ctx.packages, d.rollbackPackageId);
  if (!d.rollbackPackageId)
    n.rollbackPackageId = "Without a rollback package, Rollback only withdraws pending commands: updated devices keep the new build.";
  else if (pkg && rb && compareVersions(rb.version, pkg.version) >= 0)
    n.rollbackPackageId = `Rollback package ${rb.version} is not older than ${pkg.version}; is that intended?`;
  const t = Number(d.failureThreshold);
  const minVerdicts = /^\d+$/.test(d.minDevices.trim()) ? Number(d.minDevices.trim()) : 0;
  if (preview && preview.scheduled > 0 && /^\d+$/.test(d.failureThreshold.trim())) {
    const onePercent = 100 / preview.scheduled;
    if (t === 0) n.failureThreshold = "Threshold 0 %: the first failure pauses the rollout.";
    else if (onePercent > t)
      n.failureThreshold = `With ${preview.scheduled} device${preview.scheduled === 1 ? "" : "s"} in the first slice, one failure is ${onePercent.toFixed(1)} % (above ${t} %): ${
        minVerdicts > 1 ? `once ${minVerdicts} devices have a verdict, a single failure pauses the rollout.` : "the first failure pauses the rollout."
      }`;
  }
  if (d.strategy === "all_at_once")
    n.strategy = "All at once: every eligible device gets the update now; the threshold can still pause it.";
  const min = Number(d.minDevices.trim());
  if (/^\d+$/.test(d.minDevices.trim()) && min > 0) {
    n.minDevices = `Failures pause the rollout only once ${min} device${min === 1 ? " has" : "s have"} a verdict.`;
    if (preview && preview.scheduled > 0 && preview.scheduled < min)
      n.minDevices = `The first slice holds only ${preview.scheduled} device${preview.scheduled === 1 ? "" : "s"}: with ${min} verdicts needed, no failure there can pause the rollout.`;
  }
  if (d.force) n.force = "Devices that already run this version are updated again (e.g. to repair a broken install).";
  return n;
}

/** Numeric semver-ish comparison of "MAJOR.MINOR.PATCH" prefixes. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[.+-]/).slice(0, 3).map((x) => Number.parseInt(x, 10) || 0);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** The request for the server; only called once the draft has no problems. */
export function toPlan(d: Draft): RolloutPlan {
  const num = (s: string) => Number(s.trim());
  const phases = d.strategy === "phased" ? toPhases(d.phases) : null;
  const canary = {
    all_at_once: 100,
    rolling: num(d.batchPercent),
    canary: num(d.canaryPercent),
    phased: phases?.[0]?.percent ?? 100,
  }[d.strategy];
  const minDevices = num(d.minDevices || "0");
  return {
    package_id: d.packageId,
    target_profile_id: d.profileId,
    // A phased plan is a canary that advances itself.
    strategy: d.strategy === "phased" ? "canary" : d.strategy,
    canary_percent: canary,
    failure_threshold_percent: num(d.failureThreshold),
    rollback_package_id: d.rollbackPackageId || null,
    batch_percent: d.strategy === "rolling" ? num(d.batchPercent) : null,
    force: d.force,
    allow_downgrade: d.allowDowngrade,
    phases,
    min_devices: minDevices > 0 ? minDevices : null,
    start_at: toStartAt(d),
    maintenance_window: toWindow(d),
    retry: toRetry(d),
  };
}

/** What to preview while the person is still typing: the parts with problems are left out
 *  (a preview of every device, no start time, no window), so the counts stay useful. Null until
 *  the package and profile are sound. */
export function previewPlan(d: Draft, ctx: Context, nowMs: number): RolloutPlan | null {
  if (hasProblems(targetProblems(d, ctx))) return null;
  let draft = d;
  if (hasProblems(strategyProblems(d, ctx))) draft = { ...draft, strategy: "canary", canaryPercent: "100", minDevices: "0" };
  if (hasProblems(schedulingProblems(d, nowMs))) draft = { ...draft, ...emptySchedule(d.windowZone) };
  return toPlan(draft);
}

export function hasProblems(p: Problems): boolean {
  return Object.values(p).some(Boolean);
}

/** Why the review cannot start, from the server's preview; null when it can. */
export function previewProblem(preview: PlanPreview | undefined): string | null {
  if (!preview) return null;
  if (preview.conflicting_rollout_id)
    return `Rollout ${preview.conflicting_rollout_id} is still unfinished on some of these devices; a device takes one rollout at a time. Let it complete (or roll it back) first.`;
  if (preview.eligible === 0)
    return preview.skipped > 0
      ? `None of the profile's ${preview.skipped} devices is eligible (see the reasons above); nothing would be scheduled.`
      : "The profile has no devices; nothing would be scheduled.";
  return null;
}

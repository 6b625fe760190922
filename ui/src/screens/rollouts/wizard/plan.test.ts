import { describe, expect, it } from "vitest";
import type { PlanPreview } from "../../../bindings/PlanPreview";
import { pkg } from "../../../test/fixtures";
import {
  EMPTY_DRAFT,
  hasProblems,
  isDirty,
  needsAllAtOnceConfirmation,
  parsePercent,
  previewPlan,
  previewProblem,
  strategyNotes,
  strategyProblems,
  targetProblems,
  toPlan,
  type Context,
  type Draft,
} from "./plan";

const ctx: Context = {
  packages: [
    pkg({ id: "new", version: "2.0.0", device_type: "temp-sensor" }),
    pkg({ id: "old", version: "1.4.2", device_type: "temp-sensor" }),
    pkg({ id: "gw", version: "1.0.0", device_type: "gateway" }),
  ],
  profiles: [
    { id: "sensors", name: "temp-sensor-v2", device_type: "temp-sensor" },
    { id: "gateways", name: "gateway", device_type: "gateway" },
  ],
};
const draft = (over: Partial<Draft> = {}): Draft => ({ ...EMPTY_DRAFT, packageId: "new", profileId: "sensors", rollbackPackageId: "old", ...over });
const preview = (scheduled: number): PlanPreview => ({
  eligible: scheduled * 10,
  scheduled,
  skipped: 0,
  skipped_by_reason: [],
  skipped_examples: [],
  canary_percent: 10,
  would_downgrade: 0,
  conflicting_rollout_id: null,
  phase_sizes: null,
  window_opens_at: null,
});

describe("rollout plan validation", () => {
  it("accepts a sound canary plan", () => {
    expect(hasProblems(targetProblems(draft(), ctx))).toBe(false);
    expect(hasProblems(strategyProblems(draft(), ctx))).toBe(false);
    expect(toPlan(draft())).toEqual({
      package_id: "new",
      target_profile_id: "sensors",
      strategy: "canary",
      canary_percent: 10,
      failure_threshold_percent: 10,
      rollback_package_id: "old",
      batch_percent: null,
      force: false,
      allow_downgrade: false,
      phases: null,
      min_devices: null,
      start_at: null,
      maintenance_window: null,
      retry: null,
    });
  });

  it("asks for a package and a profile", () => {
    const p = targetProblems(EMPTY_DRAFT, ctx);
    expect(p.packageId).toMatch(/Choose the package/);
    expect(p.profileId).toMatch(/Choose the device profile/);
  });

  it("explains a profile of another device type", () => {
    expect(targetProblems(draft({ profileId: "gateways" }), ctx).profileId).toBe(
      'Profile "gateway" holds gateway devices, but package 2.0.0 is for temp-sensor: no device would be eligible.',
    );
  });

  it("explains percentages out of range or not whole", () => {
    expect(parsePercent("canary percentage", "0", 1)).toBe("The canary percentage must be between 1 and 100 %, not 0.");
    expect(parsePercent("canary percentage", "101", 1)).toMatch(/between 1 and 100/);
    expect(parsePercent("canary percentage", "12.5", 1)).toMatch(/whole number/);
    expect(parsePercent("canary percentage", "", 1)).toMatch(/Enter the canary percentage/);
    expect(parsePercent("failure threshold", "0", 0)).toBe(0);
    expect(strategyProblems(draft({ canaryPercent: "0" }), ctx).canaryPercent).toMatch(/between 1 and 100/);
    expect(strategyProblems(draft({ failureThreshold: "150" }), ctx).failureThreshold).toMatch(/between 0 and 100/);
  });

  it("checks the batch size only for rolling, and the canary only for canary", () => {
    expect(strategyProblems(draft({ strategy: "rolling", batchPercent: "" }), ctx).batchPercent).toMatch(/batch size/);
    expect(strategyProblems(draft({ strategy: "rolling", canaryPercent: "x" }), ctx).canaryPercent).toBeUndefined();
    expect(strategyProblems(draft({ strategy: "all_at_once", canaryPercent: "x" }), ctx)).toEqual({});
    expect(toPlan(draft({ strategy: "all_at_once" })).canary_percent).toBe(100);
    const rolling = toPlan(draft({ strategy: "rolling", batchPercent: "20" }));
    expect(rolling.batch_percent).toBe(20);
    expect(rolling.canary_percent).toBe(20);
  });

  it("rejects a rollback package that is the package itself or for other devices", () => {
    expect(strategyProblems(draft({ rollbackPackageId: "new" }), ctx).rollbackPackageId).toMatch(/must differ/);
    expect(strategyProblems(draft({ rollbackPackageId: "gw" }), ctx).rollbackPackageId).toBe(
      "Package 1.0.0 is for gateway, not temp-sensor: devices could not install it.",
    );
  });

  it("notes what a missing rollback package and a tiny canary mean", () => {
    expect(strategyNotes(draft({ rollbackPackageId: "" }), ctx, undefined).rollbackPackageId).toMatch(/keep the new build/);
    expect(strategyNotes(draft(), ctx, preview(4)).failureThreshold).toBe(
      "With 4 devices in the first slice, one failure is 25.0 % (above 10 %): the first failure pauses the rollout.",
    );
    expect(strategyNotes(draft(), ctx, preview(20)).failureThreshold).toBeUndefined();
    expect(strategyNotes(draft({ failureThreshold: "0" }), ctx, preview(20)).failureThreshold).toMatch(/first failure pauses/);
  });

  it("refuses to start when the preview finds no eligible device", () => {
    expect(previewProblem({ ...preview(0), eligible: 0, skipped: 5 })).toMatch(/None of the profile's 5 devices is eligible/);
    expect(previewProblem({ ...preview(0), eligible: 0, skipped: 0 })).toMatch(/no devices/);
    expect(previewProblem(preview(3))).toBeNull();
  });

  it("refuses to start over devices another unfinished rollout holds, naming it", () => {
    expect(previewProblem({ ...preview(3), conflicting_rollout_id: "rol_7" })).toBe(
      "Rollout rol_7 is still unfinished on some of these devices; a device takes one rollout at a time. Let it complete (or roll it back) first.",
    );
  });

  it("sends allow_downgrade only when the person ticked it, and counts entered data as unsaved", () => {
    expect(toPlan(draft()).allow_downgrade).toBe(false);
    expect(toPlan(draft({ allowDowngrade: true })).allow_downgrade).toBe(true);
    expect(isDirty(EMPTY_DRAFT)).toBe(false);
    expect(isDirty({ ...EMPTY_DRAFT, packageId: "new" })).toBe(true);
    expect(isDirty({ ...EMPTY_DRAFT, allowDowngrade: true })).toBe(true);
    // Opened with a package chosen (from an upload's result): that choice alone is not input.
    const opened = { ...EMPTY_DRAFT, packageId: "new" };
    expect(isDirty(opened, opened)).toBe(false);
    expect(isDirty({ ...opened, profileId: "sensors" }, opened)).toBe(true);
  });

  it("confirms All at once only above 100 devices", () => {
    const all = draft({ strategy: "all_at_once" });
    expect(needsAllAtOnceConfirmation(all, preview(100))).toBe(false);
    expect(needsAllAtOnceConfirmation(all, preview(101))).toBe(true);
    expect(needsAllAtOnceConfirmation(draft(), preview(500)), "a canary asks nothing").toBe(false);
  });

  it("sends a phased plan as a canary that starts with its first phase, with min_devices", () => {
    const d = draft({
      strategy: "phased",
      phases: [
        { percent: "5", soak: "30m", gate: "90" },
        { percent: "40", soak: "2h", gate: "95" },
        { percent: "100", soak: "0", gate: "0" },
      ],
      minDevices: "20",
    });
    expect(hasProblems(strategyProblems(d, ctx))).toBe(false);
    expect(toPlan(d)).toMatchObject({
      strategy: "canary",
      canary_percent: 5,
      batch_percent: null,
      min_devices: 20,
      phases: [
        { percent: 5, soak_seconds: 1800, min_success_percent: 90 },
        { percent: 40, soak_seconds: 7200, min_success_percent: 95 },
        { percent: 100, soak_seconds: 0, min_success_percent: 0 },
      ],
    });
    expect(toPlan(draft({ minDevices: "0" })).min_devices).toBeNull();
  });

  it("blocks on the phases' first problem and on a min_devices that is not a count", () => {
    const falling = draft({ strategy: "phased", phases: [{ percent: "50", soak: "0", gate: "0" }, { percent: "10", soak: "0", gate: "0" }, { percent: "100", soak: "0", gate: "0" }] });
    expect(strategyProblems(falling, ctx).phases).toBe(
      "Phase 2 must cover more than phase 1's 50 %: each phase widens the rollout (move it up, or raise it).",
    );
    expect(strategyProblems(draft({ minDevices: "ten" }), ctx).minDevices).toBe(
      'Enter a whole number of devices (0: the threshold applies from the first verdict), not "ten".',
    );
    expect(strategyProblems(draft({ minDevices: "100000001" }), ctx).minDevices).toMatch(/At most 100,000,000 devices/);
  });

  it("notes a min_devices the first slice cannot reach", () => {
    expect(strategyNotes(draft({ minDevices: "20" }), ctx, preview(4)).minDevices).toBe(
      "The first slice holds only 4 devices: with 20 verdicts needed, no failure there can pause the rollout.",
    );
    expect(strategyNotes(draft({ minDevices: "3" }), ctx, preview(40)).minDevices).toBe("Failures pause the rollout only once 3 devices have a verdict.");
    expect(strategyNotes(draft({ minDevices: "2" }), ctx, preview(2)).failureThreshold).toBe(
      "With 2 devices in the first slice, one failure is 50.0 % (above 10 %): once 2 devices have a verdict, a single failure pauses the rollout.",
    );
  });

  it("previews without the parts that have problems, so the counts stay useful while typing", () => {
    const now = Date.UTC(2026, 11, 7, 12);
    const typing = draft({ strategy: "phased", phases: [{ percent: "", soak: "0", gate: "0" }], windowOn: true, windowDays: [], startMode: "at", startDate: "2026-12-0" });
    const plan = previewPlan(typing, ctx, now);
    expect(plan).toMatchObject({ strategy: "canary", canary_percent: 100, phases: null, maintenance_window: null, start_at: null });
    expect(previewPlan(draft({ packageId: "" }), ctx, now)).toBeNull();
    const sound = draft({ windowOn: true });
    expect(previewPlan(sound, ctx, now)?.maintenance_window).toMatchObject({ days: ["mon", "tue", "wed", "thu", "fri"], start: "02:00", end: "05:00" });
  });

  it("counts phase and schedule edits as unsaved input", () => {
    expect(isDirty({ ...EMPTY_DRAFT, strategy: "phased" })).toBe(true);
    expect(isDirty({ ...EMPTY_DRAFT, windowOn: true })).toBe(true);
    expect(isDirty({ ...EMPTY_DRAFT, phases: EMPTY_DRAFT.phases.map((p) => ({ ...p })) }), "the same phases again").toBe(false);
    expect(isDirty({ ...EMPTY_DRAFT, phases: EMPTY_DRAFT.phases.slice(1) })).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import type { PlanPreview } from "../../../bindings/PlanPreview";
import { pkg } from "../../../test/fixtures";
import { EMPTY_DRAFT, type Draft } from "./plan";
import { planTimeline } from "./timeline";

const NOW = Date.UTC(2026, 11, 7, 12, 0);
const preview = (over: Partial<PlanPreview> = {}): PlanPreview => ({
  eligible: 24,
  scheduled: 1,
  skipped: 0,
  skipped_by_reason: [],
  skipped_examples: [],
  canary_percent: 1,
  would_downgrade: 0,
  conflicting_rollout_id: null,
  phase_sizes: [1, 6, 24],
  window_opens_at: null,
  ...over,
});
const phased = (over: Partial<Draft> = {}): Draft => ({
  ...EMPTY_DRAFT,
  packageId: "new",
  profileId: "sensors",
  strategy: "phased",
  phases: [
    { percent: "1", soak: "1h", gate: "95" },
    { percent: "25", soak: "30m", gate: "90" },
    { percent: "100", soak: "0", gate: "0" },
  ],
  windowZone: "UTC",
  ...over,
});
const newPkg = pkg({ id: "new", version: "2.0.0" });
const oldPkg = pkg({ id: "old", version: "1.4.2" });

describe("the plan as a timeline", () => {
  it("lists each phase with its devices, earliest start and gate", () => {
    const t = planTimeline(phased(), preview(), oldPkg, newPkg, NOW);
    expect(t.steps.map((s) => [s.title, s.devices, s.added])).toEqual([
      ["Phase 1 · 1 %", 1, 1],
      ["Phase 2 · 25 %", 6, 5],
      ["Phase 3 · 100 %", 24, 18],
    ]);
    expect(t.steps[0].earliest).toBe("Now");
    expect(t.steps[1].earliest).toBe("After phase 1's gate and 1 h of soak");
    expect(t.steps[2].earliest).toBe("After phase 2's gate and 30 min of soak");
    expect(t.steps[0].gate).toBe(
      "Moves on once every device in the slice has a verdict and at least 95 % succeeded, then 1 h of soak after the last verdict. Below 95 % it waits for you (advance or roll back).",
    );
    expect(t.steps[2].gate).toBe("Last phase: the rollout completes once every device has a verdict.");
    expect(t.window).toBeNull();
    expect(t.retries).toBe("No retries: a device's first failure counts.");
    expect(t.threshold).toBe("Pauses itself when more than 10 % of the slice has failed.");
    expect(t.onFailure).toBe("Auto-pause: nothing more is told until you resume. Roll back sends 1.4.2 to the devices that got 2.0.0.");
  });

  it("starts at the window's next opening after the start time, in the window's zone", () => {
    const d = phased({
      windowOn: true,
      windowDays: ["mon", "tue", "wed"],
      windowStart: "22:00",
      windowEnd: "04:00",
      retryOn: true,
      retryAttempts: "3",
      retryBackoff: "5m",
      minDevices: "4",
    });
    const t = planTimeline(d, preview({ window_opens_at: "2026-12-07T22:00:00Z" }), undefined, newPkg, NOW);
    expect(t.steps[0].earliest).toMatch(/^Mon 7 Dec 2026, 22:00 \(UTC(, UTC\+00:00)?\), when the window opens$/);
    expect(t.steps[1].earliest).toBe("After phase 1's gate and 1 h of soak, inside the window");
    expect(t.window).toBe("Mon–Wed, 22:00–04:00 (closes the next morning) UTC: devices are told to start only inside it.");
    expect(t.retries).toBe("Up to 3 attempts per device, told again after 5 min, then 10 min; a device counts as failed only when its last attempt fails.");
    expect(t.threshold).toBe("Pauses itself when more than 10 % of the slice has failed, once 4 devices have a verdict.");
    expect(t.onFailure).toMatch(/No rollback package: Roll back only withdraws pending commands; updated devices keep 2.0.0/);
  });

  it("shows a scheduled start when the window is already open then", () => {
    const d = phased({ windowOn: true, startMode: "at", startDate: "2026-12-24", startTime: "02:00" });
    const start = new Date(2026, 11, 24, 2, 0);
    const t = planTimeline(d, preview({ window_opens_at: start.toISOString() }), oldPkg, newPkg, NOW);
    expect(t.steps[0].earliest).toContain("24 Dec 2026");
    expect(t.steps[0].earliest).not.toContain("when the window opens");
  });

  it("gives a canary its slice and the rest that waits for an advance", () => {
    const d: Draft = { ...phased(), strategy: "canary", canaryPercent: "10" };
    const t = planTimeline(d, preview({ scheduled: 3, phase_sizes: null }), oldPkg, newPkg, NOW);
    expect(t.steps.map((s) => [s.title, s.devices, s.earliest])).toEqual([
      ["Canary · 10 %", 3, "Now"],
      ["Everyone else · 100 %", 24, "When you advance it"],
    ]);
  });

  it("waits for the preview's counts without inventing them", () => {
    const t = planTimeline(phased(), undefined, oldPkg, newPkg, NOW);
    expect(t.steps.map((s) => s.devices)).toEqual([null, null, null]);
  });
});

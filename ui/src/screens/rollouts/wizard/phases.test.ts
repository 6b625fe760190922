import { describe, expect, it } from "vitest";
import { PHASE_PRESETS } from "../../../bindings/phasePresets";
import {
  addPhase,
  DEFAULT_PRESET,
  firstPhaseProblem,
  hasPhaseProblems,
  movePhase,
  phaseProblems,
  presetOf,
  presetPhases,
  PRESETS,
  removePhase,
  toPhases,
  type PhaseDraft,
} from "./phases";

const ph = (percent: string, soak = "0", gate = "0"): PhaseDraft => ({ percent, soak, gate });

describe("phases: presets", () => {
  it("offers 1 → 10 → 50 → 100 % with airlift-core's hour of soak and 95 % gate", () => {
    const phases = presetPhases("1-10-50-100")!;
    expect(toPhases(phases)).toEqual([1, 10, 50, 100].map((percent) => ({ percent, soak_seconds: 3600, min_success_percent: 95 })));
    expect(hasPhaseProblems(phaseProblems(phases))).toBe(false);
    expect(presetOf(phases)).toBe("1-10-50-100");
  });

  it("offers a canary then everyone, and calls anything edited custom", () => {
    const phases = presetPhases("canary-then-everyone")!;
    expect(toPhases(phases)).toEqual([
      { percent: 5, soak_seconds: 86400, min_success_percent: 98 },
      { percent: 100, soak_seconds: 0, min_success_percent: 0 },
    ]);
    expect(presetOf(phases)).toBe("canary-then-everyone");
    expect(presetOf([{ ...phases[0], percent: "6" }, phases[1]])).toBe("custom");
    // Typed differently but the same plan ("1440m" is a day): still the preset.
    expect(presetOf([{ ...phases[0], soak: "1440m" }, phases[1]])).toBe("canary-then-everyone");
    expect(presetPhases("custom")).toBeNull();
  });

  it("offers exactly airlift-core's presets (the generated list), its first as the wizard's default", () => {
    expect(PRESETS.map((p) => p.id)).toEqual(PHASE_PRESETS.map((p) => p.name));
    expect(DEFAULT_PRESET).toBe("1-10-50-100");
    expect(PRESETS[1].label).toBe("Canary, then everyone");
    expect(presetPhases("one-ten-fifty-hundred")).toBeNull();
  });

  it("hands out copies, so editing a plan never changes the preset", () => {
    const a = presetPhases("1-10-50-100")!;
    a[0].percent = "2";
    expect(presetPhases("1-10-50-100")![0].percent).toBe("1");
  });
});

describe("phases: editing", () => {
  it("adds a phase before the final 100 %, halfway there, with the last phase's soak and gate", () => {
    const phases = [ph("10", "1h", "95"), ph("100", "2h", "90")];
    expect(addPhase(phases)).toEqual([ph("10", "1h", "95"), ph("55", "2h", "90"), ph("100", "2h", "90")]);
    expect(addPhase([ph("10", "30m", "80")])).toEqual([ph("10", "30m", "80"), ph("100", "30m", "80")]);
    expect(addPhase([])).toEqual([ph("100")]);
  });

  it("removes and reorders, leaving out-of-range moves alone", () => {
    const phases = [ph("10"), ph("50"), ph("100")];
    expect(removePhase(phases, 1)).toEqual([ph("10"), ph("100")]);
    expect(movePhase(phases, 2, -1)).toEqual([ph("10"), ph("100"), ph("50")]);
    expect(movePhase(phases, 0, 1)).toEqual([ph("50"), ph("10"), ph("100")]);
    expect(movePhase(phases, 0, -1)).toBe(phases);
    expect(movePhase(phases, 2, 1)).toBe(phases);
  });
});

describe("phases: validation", () => {
  it("wants percents that rise and end at 100, naming the phase and what to do", () => {
    const falling = phaseProblems([ph("50"), ph("10"), ph("100")]);
    expect(falling.rows[1].percent).toBe("Phase 2 must cover more than phase 1's 50 %: each phase widens the rollout (move it up, or raise it).");
    expect(phaseProblems([ph("10"), ph("10"), ph("100")]).rows[1].percent).toMatch(/more than phase 1's 10 %/);
    expect(phaseProblems([ph("10"), ph("50")]).list).toBe(
      "The last phase must reach 100 % so every eligible device gets the update; it stops at 50 %. Add a 100 % phase or raise the last one.",
    );
    expect(phaseProblems([]).list).toMatch(/Add at least one phase/);
    expect(phaseProblems(Array.from({ length: 21 }, (_, i) => ph(String(i + 1)))).list).toBe("A plan has at most 20 phases; remove 1.");
  });

  it("explains percents out of range, empty or not whole", () => {
    expect(phaseProblems([ph("0"), ph("100")]).rows[0].percent).toBe("Phase 1's slice must be between 1 and 100 %, not 0.");
    expect(phaseProblems([ph("12.5"), ph("100")]).rows[0].percent).toBe('Phase 1\'s slice is a whole percent from 1 to 100, not "12.5".');
    expect(phaseProblems([ph(""), ph("100")]).rows[0].percent).toBe("Enter phase 1's slice: a whole percent from 1 to 100.");
    expect(phaseProblems([ph("10"), ph("150")]).rows[1].percent).toMatch(/between 1 and 100 %, not 150/);
  });

  it("wants a soak of zero or more, as a duration up to 30 days", () => {
    const soak = (s: string) => phaseProblems([ph("100", s)]).rows[0].soak;
    expect(soak("0")).toBeUndefined();
    expect(soak("45m")).toBeUndefined();
    expect(soak("-5m")).toBe("A soak time cannot be negative; use 0 to move on as soon as the gate is met.");
    expect(soak("soon")).toBe('"soon" is not a duration: write 90s, 30m or 2h (0 for none).');
    expect(soak("60")).toMatch(/not a duration/);
    expect(soak("")).toMatch(/Enter phase 1's soak time/);
    expect(soak("721h")).toBe("A soak can last at most 30 days, not 30 days 1 h.");
  });

  it("wants a health gate of 0 to 100 %", () => {
    const gate = (g: string) => phaseProblems([ph("100", "0", g)]).rows[0].gate;
    expect(gate("0")).toBeUndefined();
    expect(gate("100")).toBeUndefined();
    expect(gate("101")).toBe("The health gate must be between 0 and 100 %, not 101.");
    expect(gate("high")).toMatch(/whole percent from 0 to 100/);
  });

  it("reports the first problem in reading order for the step", () => {
    const p = phaseProblems([ph("10", "x"), ph("5"), ph("50")]);
    expect(firstPhaseProblem(p)).toMatch(/"x" is not a duration/);
    expect(firstPhaseProblem(phaseProblems([ph("10"), ph("50")]))).toMatch(/last phase must reach 100 %/);
    expect(firstPhaseProblem(phaseProblems([ph("10"), ph("100")]))).toBeUndefined();
  });
});

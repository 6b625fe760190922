import { rolloutItem } from "./fixtures";
import { strategyLine } from "./model";

describe("strategyLine", () => {
  it("names a phased plan by its phase, not by the canary strategy it rides on", () => {
    const phase = {
      index: 1, count: 4, percent: 10, soak_seconds: 30, min_success_percent: 95, success_percent: 100,
      next_percent: 50, gate: "soaking", undecided: 0, succeeded: 26, needed: 25, next_advance_at: null,
    };
    expect(strategyLine(rolloutItem({ canary_percent: 10, phase }))).toBe("Phase 2 of 4 at 10 %");
  });

  it("keeps the strategy's name otherwise, without a percentage for all at once", () => {
    expect(strategyLine(rolloutItem({ canary_percent: 5 }))).toBe("Canary at 5 %");
    expect(strategyLine(rolloutItem({ strategy: "rolling", canary_percent: 20 }))).toBe("Rolling at 20 %");
    expect(strategyLine(rolloutItem({ strategy: "all_at_once", canary_percent: 100 }))).toBe("All at once");
  });
});

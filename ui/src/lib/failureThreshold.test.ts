import { describe, expect, it } from "vitest";
import { overPauseThreshold } from "./failureThreshold";

/** The desk's rate: failed × 100 / slice, as `rollouts::failure_rate_percent` computes it. */
const at = (failed: number, slice: number, threshold: number, verdicts = slice, minDevices = 0) =>
  overPauseThreshold({ rate: slice === 0 ? 0 : (failed * 100) / slice, threshold, verdicts, minDevices });

describe("the auto-pause condition as the app draws it", () => {
  it("is airlift-core's: strictly above the threshold", () => {
    // policy.rs's example: threshold 10 with 20 scheduled, 2 failures (10 %) keep it active,
    // the 3rd (15 %) pauses it.
    expect(at(2, 20, 10)).toBe(false);
    expect(at(3, 20, 10)).toBe(true);
    // Floating point does not move a rate that equals the threshold across it.
    expect(at(1, 3, 33)).toBe(true);
    expect(at(7, 70, 10)).toBe(false);
    expect(at(3, 30, 10)).toBe(false);
    expect(at(100_001, 1_000_000, 10)).toBe(true);
    expect(at(100_000, 1_000_000, 10)).toBe(false);
  });

  it("pauses on the first failure at 0 %, never at 100 %, and not with an empty slice", () => {
    expect(at(0, 10, 0)).toBe(false);
    expect(at(1, 10, 0)).toBe(true);
    expect(at(10, 10, 100)).toBe(false);
    expect(at(0, 0, 0)).toBe(false);
  });

  it("applies only once min_devices devices have a verdict", () => {
    expect(at(3, 10, 10, 4, 5)).toBe(false);
    expect(at(3, 10, 10, 5, 5)).toBe(true);
  });
});

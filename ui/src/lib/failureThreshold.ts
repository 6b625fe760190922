// The auto-pause rule as the app draws it: the danger colour of a failure rate is exactly the
// engine's pause condition, so a gauge is red when (and only when) the server would pause.
import type { RolloutItem } from "../bindings/RolloutItem";

/** A rollout's failure rate against its threshold, as the desk reports them. */
export type FailureRateValues = {
  /** Failed and timed-out devices per 100 in the slice (the desk's `failure_rate_percent`). */
  rate: number;
  /** The auto-pause threshold in percent. */
  threshold: number;
  /** Devices of the slice with a verdict (succeeded, failed or timed out). */
  verdicts: number;
  /** Verdicts before the threshold applies (`min_devices`; 0: from the first). */
  minDevices: number;
};

/** airlift-core's `threshold_applies(verdicts, min_devices) && should_auto_pause(..)`: the
 *  threshold applies once `minDevices` devices have a verdict, and the rate is then strictly
 *  above it (at the threshold the rollout carries on).
 *
 *  `rate > threshold` agrees with the engine's integer `failed × 100 > threshold × slice`: the
 *  desk's rate is the correctly rounded quotient failed × 100 / slice, which equals the
 *  threshold exactly when the integers are equal, and otherwise differs from it by at least
 *  1 / slice, far more than a double's rounding. An empty slice has rate 0 and never pauses. */
export function overPauseThreshold({ rate, threshold, verdicts, minDevices }: FailureRateValues): boolean {
  return verdicts >= minDevices && rate > threshold;
}

/** A rollout's values as the gauge and the words beside it take them. */
export function failureValues(r: RolloutItem): FailureRateValues {
  return { rate: r.failure_rate_percent, threshold: r.failure_threshold_percent, verdicts: r.verdicts, minDevices: r.min_devices };
}

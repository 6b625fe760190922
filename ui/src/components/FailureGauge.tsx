import { formatPercent } from "../lib/format";
import { overPauseThreshold, type FailureRateValues } from "../lib/failureThreshold";

const clamp = (p: number) => Math.min(100, Math.max(0, p));

/** Failure rate against the auto-pause threshold: a bar on a fixed 0–100 % scale with the
 *  threshold as a line. Fixed, so 52 % and 100 % never look alike and a gauge can be compared
 *  with the next one in a list. `compact` draws only the bar. Its parts are spans (shown as
 *  blocks by failure-rate.css), so it also fits inside a button, which holds phrasing content
 *  only (the dashboard's rollouts). The danger colour is the gauge's own verdict from the
 *  values, the engine's pause condition (`overPauseThreshold`), wherever it is shown. */
export function FailureGauge({ compact = false, ...values }: FailureRateValues & { compact?: boolean }) {
  const { rate, threshold, verdicts, minDevices } = values;
  const over = overPauseThreshold(values);
  const armed = verdicts >= minDevices;
  return (
    <span className={compact ? "gauge compact" : "gauge"} data-testid="failure-gauge">
      {!compact && (
        <span className="gauge-text">
          <span>
            Failure rate <strong className={over ? "error" : undefined} data-testid="failure-rate">{formatPercent(rate)}</strong>
          </span>
          <span className="muted" data-testid="failure-threshold-text">
            auto-pause above {threshold} %{armed ? "" : ` once ${minDevices} devices have a verdict`}
          </span>
        </span>
      )}
      <span className="gauge-track" role="meter" aria-label="Failure rate" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(rate * 10) / 10} aria-valuetext={`${formatPercent(rate)}, threshold ${threshold} %`}>
        <span className={over ? "gauge-fill over" : "gauge-fill"} style={{ width: `${clamp(rate)}%` }} data-testid="failure-fill" />
        <span className="gauge-threshold" style={{ left: `${clamp(threshold)}%` }} title={`Threshold ${threshold} %`} data-testid="failure-threshold" />
      </span>
    </span>
  );
}

import { formatPercent } from "../lib/format";

const clamp = (p: number) => Math.min(100, Math.max(0, p));

/** Failure rate against the auto-pause threshold: a bar on a fixed 0–100 % scale with the
 *  threshold as a line. Fixed, so 52 % and 100 % never look alike and a gauge can be compared
 *  with the next one in a list. `compact` draws only the bar. Its parts are spans (shown as
 *  blocks by failure-rate.css), so it also fits inside a button, which holds phrasing content
 *  only (the dashboard's rollouts). `over` (drawn in the danger colour) is by default the
 *  auto-pause rule, strictly above the threshold; the dashboard passes the desk's
 *  `at_or_above_threshold`, which warns at the threshold already. */
export function FailureGauge({
  rate,
  threshold,
  compact = false,
  over = rate > threshold,
}: {
  rate: number;
  threshold: number;
  compact?: boolean;
  over?: boolean;
}) {
  return (
    <span className={compact ? "gauge compact" : "gauge"} data-testid="failure-gauge">
      {!compact && (
        <span className="gauge-text">
          <span>
            Failure rate <strong className={over ? "error" : undefined} data-testid="failure-rate">{formatPercent(rate)}</strong>
          </span>
          <span className="muted">auto-pause above {threshold} %</span>
        </span>
      )}
      <span className="gauge-track" role="meter" aria-label="Failure rate" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(rate * 10) / 10} aria-valuetext={`${formatPercent(rate)}, threshold ${threshold} %`}>
        <span className={over ? "gauge-fill over" : "gauge-fill"} style={{ width: `${clamp(rate)}%` }} data-testid="failure-fill" />
        <span className="gauge-threshold" style={{ left: `${clamp(threshold)}%` }} title={`Threshold ${threshold} %`} data-testid="failure-threshold" />
      </span>
    </span>
  );
}

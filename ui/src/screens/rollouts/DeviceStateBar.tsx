import type { RolloutItem } from "../../bindings/RolloutItem";
import { DEVICE_STATE_LABEL, DEVICE_STATES, type DeviceState } from "./model";

/** One stacked bar: each per-device state's share of the eligible devices, and the rest
 *  (not in the slice yet). `compact` draws only the bar (the list's rows). */
export function DeviceStateBar({
  rollout,
  compact = false,
  onPick,
  picked,
}: {
  rollout: RolloutItem;
  compact?: boolean;
  onPick?: (state: DeviceState | "pending") => void;
  picked?: string | null;
}) {
  const total = Math.max(rollout.eligible_count, rollout.in_slice, 1);
  const parts = DEVICE_STATES.map((s) => ({ s, n: rollout.counters[s] })).filter((p) => p.n > 0);
  const summary = `${rollout.counters.successful} of ${rollout.eligible_count} successful`;
  return (
    <div className={compact ? "state-bar compact" : "state-bar"}>
      <div className="stack" role="img" aria-label={`${summary}; ${parts.map((p) => `${p.n} ${DEVICE_STATE_LABEL[p.s].toLowerCase()}`).join(", ")}`}>
        {parts.map((p) => (
          <span key={p.s} className={`seg d-${p.s}`} style={{ width: `${(p.n / total) * 100}%` }} title={`${DEVICE_STATE_LABEL[p.s]}: ${p.n}`} />
        ))}
      </div>
      {!compact && (
        <ul className="legend" aria-label="Devices per state">
          {[...DEVICE_STATES, "pending" as const].map((s) => {
            const n = s === "pending" ? rollout.pending : rollout.counters[s];
            const content = (
              <>
                <span className={`swatch d-${s}`} aria-hidden="true" />
                <span className="legend-label">{DEVICE_STATE_LABEL[s]}</span>
                <span className="legend-count" data-testid={`count-${s}`}>
                  {n}
                </span>
              </>
            );
            return (
              <li key={s}>
                {onPick ? (
                  <button type="button" className={picked === s ? "legend-item picked" : "legend-item"} aria-pressed={picked === s} onClick={() => onPick(s)} title={`Show only ${DEVICE_STATE_LABEL[s].toLowerCase()} devices`}>
                    {content}
                  </button>
                ) : (
                  <span className="legend-item">{content}</span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

import type { RolloutItem } from "../../bindings/RolloutItem";
import { statusView } from "./model";

/** A rollout's state, and once completed how it ended (see `statusView`). */
export function StatusBadge({ rollout }: { rollout: Pick<RolloutItem, "status" | "outcome" | "counters"> }) {
  const { label, cls } = statusView(rollout);
  return (
    <span className={`badge status ${cls}`} data-testid="rollout-status" data-outcome={rollout.outcome ?? undefined}>
      {label}
    </span>
  );
}

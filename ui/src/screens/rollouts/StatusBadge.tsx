import { ROLLOUT_STATUS_LABEL } from "./model";

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge status s-${status}`} data-testid="rollout-status">
      {ROLLOUT_STATUS_LABEL[status] ?? status}
    </span>
  );
}

import { statusLabel } from "./status";

/** Seed 001's OTA status as a coloured badge, with the progress while updating. */
export function StatusBadge({ status, progress }: { status: string; progress?: number | null }) {
  const showProgress = status === "updating" && progress !== null && progress !== undefined;
  return (
    <span className={`badge ota-${status}`} data-testid="ota-status">
      {statusLabel(status)}
      {showProgress ? ` · ${progress}%` : ""}
    </span>
  );
}

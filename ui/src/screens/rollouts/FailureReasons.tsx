import type { FailureGroup } from "../../bindings/FailureGroup";
import type { RolloutItem } from "../../bindings/RolloutItem";
import type { AppError } from "../../ipc";
import { ErrorLine } from "../../components/ErrorLine";
import { formatClock } from "../../lib/format";
import { useRolloutFailures } from "./queries";

/** One failure group as the device table filters by it. */
export interface PickedReason {
  reason: string;
  status: string;
  count: number;
}

export const samePick = (a: PickedReason | null, g: FailureGroup) => a !== null && a.reason === g.reason && a.status === g.status;

/** The failure reasons, largest first: messages with their numbers, paths and hex taken out, so
 *  "disk full: 512 MB free" and "disk full: 498 MB free" are one reason, each with how many
 *  devices and the first one's message. Clicking a reason shows its devices in the table below;
 *  offline (the table needs the server) the picked reason lists the devices it kept. */
export function FailureReasons({
  rollout: r,
  live,
  picked,
  onPick,
  onOpenDevice,
}: {
  rollout: RolloutItem;
  live: boolean;
  picked: PickedReason | null;
  onPick: (reason: PickedReason | null) => void;
  onOpenDevice: (id: string) => void;
}) {
  const failures = useRolloutFailures(r.id, r.status, live);
  const f = failures.data;
  const groups = f?.groups ?? [];
  const largest = Math.max(1, ...groups.map((g) => g.count));
  const total = groups.reduce((n, g) => n + g.count, 0);
  return (
    <section className="panel failures-panel" aria-label="Failure reasons" data-testid="failure-reasons">
      <h2>
        Failure reasons{" "}
        {groups.length > 0 && (
          <span className="muted" data-testid="failure-total">
            {total} device{total === 1 ? "" : "s"}, {groups.length} reason{groups.length === 1 ? "" : "s"}
          </span>
        )}
      </h2>
      {f && !f.fresh && (
        <p className="muted offline-note" data-testid="failures-offline">
          {f.synced_at_ms ? `Offline — as of ${formatClock(f.synced_at_ms)}.` : "Offline — the failure reasons were never loaded."}
        </p>
      )}
      {failures.error ? (
        <ErrorLine error={failures.error as unknown as AppError} context="Could not load the failure reasons" />
      ) : !f ? (
        <p className="muted">Loading the failure reasons…</p>
      ) : groups.length === 0 ? (
        <p className="muted" data-testid="no-failures">
          No device has failed{r.status === "completed" || r.status === "cancelled" ? "" : " so far"}.
        </p>
      ) : (
        <ul className="reason-list">
          {groups.map((g) => {
            const on = samePick(picked, g);
            return (
              <li key={`${g.status}\u0000${g.reason}`} className={on ? "picked" : undefined}>
                <button
                  type="button"
                  className="reason"
                  aria-pressed={on}
                  data-testid="failure-reason"
                  data-reason={g.reason}
                  data-status={g.status}
                  title={on ? "Show every device again" : `Show the ${g.count} device${g.count === 1 ? "" : "s"} that failed this way`}
                  onClick={() => onPick(on ? null : { reason: g.reason, status: g.status, count: g.count })}
                >
                  <span className="reason-head">
                    <span className="reason-text">{g.reason}</span>
                    <code className="reason-status">{g.status}</code>
                    <strong className="reason-count" data-testid="failure-count">
                      {g.count}
                    </strong>
                  </span>
                  <span className="reason-bar" aria-hidden="true">
                    <span style={{ width: `${(g.count / largest) * 100}%` }} />
                  </span>
                  {g.example_message && g.example_message !== g.reason && (
                    <span className="reason-example muted" data-testid="failure-example" title={g.example_message}>
                      e.g. “{g.example_message}”
                    </span>
                  )}
                </button>
                {on && !f.fresh && g.sample_device_ids.length > 0 && (
                  <p className="reason-samples" data-testid="failure-samples">
                    {g.count > g.sample_device_ids.length ? `${g.sample_device_ids.length} of them: ` : ""}
                    {g.sample_device_ids.map((id, i) => (
                      <span key={id}>
                        {i > 0 && ", "}
                        <button type="button" className="link" onClick={() => onOpenDevice(id)}>
                          {id}
                        </button>
                      </span>
                    ))}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

import type { ReactElement, ReactNode } from "react";
import type { PhaseView } from "../../bindings/PhaseView";
import type { RolloutItem } from "../../bindings/RolloutItem";
import { formatTime } from "../../lib/format";
import { useNow } from "../../lib/useNow";
import { formatRate } from "./model";

/** "in 2 h 5 min", "in 40 s", "now" until `at`. */
export function until(atMs: number, nowMs: number): string {
  const s = Math.round((atMs - nowMs) / 1000);
  if (s <= 0) return "now";
  if (s < 60) return `in ${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `in ${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `in ${h} h${m % 60 ? ` ${m % 60} min` : ""}`;
  return `in ${Math.round(h / 24)} days`;
}

/** "1 h", "90 s", "2 h 30 min". */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return seconds % 60 ? `${m} min ${seconds % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

const DAY: Record<string, string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

/** What the phase waits for before the server advances it, as a sentence (the next advance as a
 *  `<time>` with the server's instant, so it reads in words and as a machine-readable time). */
function gateSentence(p: PhaseView, now: number): ReactNode {
  switch (p.gate) {
    case "last":
      return "Last phase: every device is in the slice.";
    case "waiting":
      return `Waiting for ${p.undecided} device${p.undecided === 1 ? "" : "s"} of the slice to report a verdict.`;
    case "held":
      return `Held: ${p.succeeded} of the slice succeeded, ${p.needed} needed. It stays until you advance or roll back.`;
    case "soaking": {
      const at = p.next_advance_at ? Date.parse(p.next_advance_at) : Number.NaN;
      const when =
        Number.isNaN(at) || !p.next_advance_at ? (
          "once the soak is over"
        ) : (
          <time dateTime={p.next_advance_at} data-testid="phase-next-at">
            {until(at, now)} ({formatTime(p.next_advance_at)})
          </time>
        );
      return (
        <>
          Healthy; soaking {duration(p.soak_seconds)} after the last verdict. Advances to {p.next_percent} % {when}.
        </>
      );
    }
    default:
      return "No automatic advance while the rollout is not active.";
  }
}

/** The rollout's plan and where it stands: the scheduled start, the phase and its gate (success
 *  rate needed against now, the next automatic advance), when the failure threshold applies
 *  (`min_devices`), the maintenance window and retries. Nothing for a plain rollout. */
export function PhaseGate({ rollout: r }: { rollout: RolloutItem }) {
  const now = useNow(5_000);
  const p = r.phase;
  const start = r.start_at ? Date.parse(r.start_at) : Number.NaN;
  const facts: ReactElement[] = [];
  if (r.status === "scheduled" && r.start_at)
    facts.push(
      <p key="start" className="plan-line" data-testid="scheduled-start">
        <strong>Starts {Number.isNaN(start) ? "" : until(start, now)}</strong> · {formatTime(r.start_at)}. No device is told anything before then.
      </p>,
    );
  if (p) {
    const short = p.success_percent < p.min_success_percent;
    facts.push(
      <div key="phase" className="plan-phase" data-testid="phase-gate" data-gate={p.gate ?? "none"}>
        <p className="plan-line">
          <strong data-testid="phase-name">
            Phase {p.index + 1} of {p.count}
          </strong>{" "}
          · {p.percent} % of the devices{p.next_percent !== null ? `, next ${p.next_percent} %` : ""}
        </p>
        <div className="gate-meter" role="meter" aria-label="Success in this phase" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(p.success_percent)} aria-valuetext={`${formatRate(p.success_percent)} succeeded, ${p.min_success_percent} % needed`}>
          <span className={short ? "gate-fill short" : "gate-fill"} style={{ width: `${Math.min(100, p.success_percent)}%` }} />
          <span className="gate-needed" style={{ left: `${p.min_success_percent}%` }} title={`${p.min_success_percent} % needed`} />
        </div>
        <p className="plan-line" data-testid="phase-success">
          Success <strong className={short ? "warn" : "ok"}>{formatRate(p.success_percent)}</strong> now, {p.min_success_percent} % needed to move on
        </p>
        <p className="plan-line muted" data-testid="phase-next">
          {gateSentence(p, now)}
        </p>
      </div>,
    );
  }
  if (r.min_devices > 0)
    facts.push(
      <p key="min" className="plan-line" data-testid="threshold-min-devices">
        {r.threshold_armed
          ? `Failure threshold applies: ${r.verdicts} verdicts (at least ${r.min_devices} needed).`
          : `Failure threshold applies after ${r.min_devices} verdicts; ${r.verdicts} so far, so no auto-pause yet.`}
      </p>,
    );
  if (r.maintenance_window) {
    const w = r.maintenance_window;
    facts.push(
      <p key="window" className="plan-line" data-testid="maintenance-window">
        Devices start only {w.days.map((d) => DAY[d] ?? d).join(", ")} {w.start}–{w.end} ({w.timezone}).
      </p>,
    );
  }
  if (r.retry && r.retry.max_attempts > 1)
    facts.push(
      <p key="retry" className="plan-line" data-testid="retry-policy">
        A failed device is retried: up to {r.retry.max_attempts} attempts, waiting {duration(r.retry.backoff_seconds)} and doubling.
      </p>,
    );
  if (facts.length === 0) return null;
  return (
    <div className="plan-facts" data-testid="plan-facts">
      {facts}
    </div>
  );
}

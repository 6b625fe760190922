import type { HistoryEntry } from "../../bindings/HistoryEntry";
import { formatTime } from "../../lib/format";

/** "2026-11-23 14:05:09": a device's steps are seconds apart, so the timeline shows seconds. */
function withSeconds(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  return `${formatTime(rfc3339)}:${String(d.getSeconds()).padStart(2, "0")}`;
}
import { describeEntry } from "./timeline";

/** A device's history, newest first: every command, report (with its message) and version change. */
export function Timeline({ history }: { history: HistoryEntry[] }) {
  if (history.length === 0) {
    return <p className="muted">No update has touched this device yet.</p>;
  }
  return (
    <ol className="timeline" aria-label="Update history" data-testid="timeline">
      {history.map((e) => {
        const d = describeEntry(e);
        return (
          <li key={e.seq} className={`tl-item tl-${d.tone}`} data-testid="timeline-entry" data-kind={e.kind}>
            <span className="tl-dot" aria-hidden="true" />
            <time dateTime={e.at} className="tl-time" title={e.at}>
              {withSeconds(e.at)}
            </time>
            <div className="tl-body">
              <div className="tl-title">
                {d.title}
                {d.facts.length > 0 && <span className="tl-facts"> · {d.facts.join(" · ")}</span>}
              </div>
              {d.message && <div className="tl-message">{d.message}</div>}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

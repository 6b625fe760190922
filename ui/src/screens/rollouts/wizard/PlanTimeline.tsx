import type { Timeline } from "./timeline";

/** The plan, step after step: devices, earliest start, what moves it on; then the rules that
 *  hold throughout (window, retries, threshold) and what happens on failure. */
export function PlanTimeline({ timeline }: { timeline: Timeline }) {
  return (
    <section className="plan-timeline" aria-labelledby="plan-timeline-title" data-testid="plan-timeline">
      <h3 id="plan-timeline-title">The plan</h3>
      <ol className="timeline-steps">
        {timeline.steps.map((s, i) => (
          <li key={s.title} className="timeline-step" data-testid={`timeline-step-${i + 1}`}>
            <span className="timeline-dot" aria-hidden="true" />
            <div className="timeline-body">
              <div className="timeline-head">
                <strong>{s.title}</strong>
                <span className="timeline-devices" data-testid={`timeline-devices-${i + 1}`}>
                  {s.devices === null ? "… devices" : `${s.devices} device${s.devices === 1 ? "" : "s"}`}
                  {s.added !== null && i > 0 && s.added > 0 && ` (+${s.added})`}
                </span>
              </div>
              <p className="timeline-when">
                <span className="muted">Earliest start:</span> {s.earliest}
              </p>
              <p className="muted">{s.gate}</p>
            </div>
          </li>
        ))}
      </ol>
      <dl className="timeline-rules">
        {timeline.window && (
          <>
            <dt>Window</dt>
            <dd data-testid="timeline-window">{timeline.window}</dd>
          </>
        )}
        <dt>Retries</dt>
        <dd data-testid="timeline-retries">{timeline.retries}</dd>
        <dt>Threshold</dt>
        <dd data-testid="timeline-threshold">{timeline.threshold}</dd>
        <dt>On failure</dt>
        <dd data-testid="timeline-on-failure">{timeline.onFailure}</dd>
      </dl>
    </section>
  );
}

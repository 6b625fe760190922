import { useMemo } from "react";
import type { PlanPreview } from "../../../bindings/PlanPreview";
import { FieldError } from "../../../components/FieldError";
import { parseDuration } from "../../../lib/duration";
import { localTimeZone, timeZoneNames, zoneOffset } from "../../../lib/timeZones";
import { describedBy, Field } from "./Field";
import type { Draft, Problems } from "./plan";
import { backoffText, DAYS, overnight, startInstant, type Day } from "./schedule";
import { whenIn } from "./timeline";

interface Props {
  draft: Draft;
  set: (patch: Partial<Draft>) => void;
  problems: Problems;
  preview: PlanPreview | undefined;
}

/** Step 3: when the rollout may tell devices to start (start time, maintenance window) and
 *  how often a failed device is told again. */
export function ScheduleStep({ draft, set, problems, preview }: Props) {
  const here = localTimeZone();
  const zones = useMemo(() => timeZoneNames(here, draft.windowZone), [here, draft.windowZone]);
  const start = draft.startMode === "at" && !problems.startDate && !problems.startTime ? startInstant(draft.startDate, draft.startTime) : null;
  const startNote = `In this computer's time zone, ${here}${zoneOffset(here) ? ` (${zoneOffset(here)})` : ""}.`;
  const toggleDay = (day: Day) =>
    set({ windowDays: draft.windowDays.includes(day) ? draft.windowDays.filter((d) => d !== day) : [...draft.windowDays, day] });
  const endNote = overnight(draft) ? "Before the opening time: the window closes the next morning." : undefined;
  const attempts = Number(draft.retryAttempts);
  const backoff = parseDuration(draft.retryBackoff);
  const retryNote =
    !problems.retryAttempts && !problems.retryBackoff && backoff !== null
      ? `A failed device is ${backoffText(attempts, backoff)}; it counts as failed only when its last attempt fails.`
      : undefined;
  return (
    <>
      <fieldset className="schedule-part">
        <legend>Start</legend>
        <div className="inline-choices">
          <label className="radio">
            <input type="radio" name="start-mode" checked={draft.startMode === "now"} onChange={() => set({ startMode: "now" })} /> Now
          </label>
          <label className="radio">
            <input type="radio" name="start-mode" checked={draft.startMode === "at"} onChange={() => set({ startMode: "at" })} data-testid="start-at" /> At a date and
            time
          </label>
        </div>
        {draft.startMode === "at" && (
          <>
            <div className="field-row">
              <Field id="w-start-date" label="Date (YYYY-MM-DD)" problem={problems.startDate}>
                <input
                  id="w-start-date"
                  value={draft.startDate}
                  placeholder="2026-12-24"
                  onChange={(e) => set({ startDate: e.target.value })}
                  {...describedBy("w-start-date", problems.startDate)}
                />
              </Field>
              <Field id="w-start-time" label="Time (HH:MM, 24-hour)" problem={problems.startTime}>
                <input
                  id="w-start-time"
                  value={draft.startTime}
                  placeholder="02:00"
                  onChange={(e) => set({ startTime: e.target.value })}
                  {...describedBy("w-start-time", problems.startTime)}
                />
              </Field>
            </div>
            <p className="field-note" data-testid="start-zone">
              {startNote}
              {start instanceof Date && ` Starts ${whenIn(start, here)}; until then it is scheduled and tells no device anything.`}
            </p>
          </>
        )}
      </fieldset>

      <fieldset className="schedule-part">
        <legend>Maintenance window</legend>
        <label className="radio">
          <input type="checkbox" checked={draft.windowOn} onChange={(e) => set({ windowOn: e.target.checked })} data-testid="window-on" /> Tell devices to start only
          inside a maintenance window
        </label>
        {draft.windowOn && (
          <>
            <div className="day-choice" role="group" aria-label="Days the window opens" aria-describedby={problems.windowDays ? "w-days-problem" : undefined}>
              {DAYS.map(([day, label]) => (
                <label key={day} className={draft.windowDays.includes(day) ? "day selected" : "day"}>
                  <input type="checkbox" checked={draft.windowDays.includes(day)} onChange={() => toggleDay(day)} data-testid={`day-${day}`} />
                  {label}
                </label>
              ))}
            </div>
            <FieldError id="w-days-problem" message={problems.windowDays} />
            <div className="field-row">
              <Field id="w-window-start" label="Opens (HH:MM)" problem={problems.windowStart}>
                <input id="w-window-start" value={draft.windowStart} onChange={(e) => set({ windowStart: e.target.value })} {...describedBy("w-window-start", problems.windowStart)} />
              </Field>
              <Field
                id="w-window-end"
                label="Closes (HH:MM)"
                problem={problems.windowEnd}
                note={endNote}
              >
                <input
                  id="w-window-end"
                  value={draft.windowEnd}
                  onChange={(e) => set({ windowEnd: e.target.value })}
                  {...describedBy("w-window-end", problems.windowEnd, endNote)}
                />
              </Field>
              <Field id="w-window-zone" label="Time zone" problem={problems.windowZone} note={draft.windowZone === here ? "This computer's zone." : undefined}>
                <select id="w-window-zone" value={draft.windowZone} onChange={(e) => set({ windowZone: e.target.value })} {...describedBy("w-window-zone", problems.windowZone)}>
                  {zones.map((z) => (
                    <option key={z} value={z}>
                      {z}
                    </option>
                  ))}
                </select>
              </Field>
            </div>
            {preview?.window_opens_at && (
              <p className="field-note" data-testid="window-opens" aria-live="polite">
                Next opening{draft.startMode === "at" ? " after the start" : ""}: {whenIn(new Date(preview.window_opens_at), draft.windowZone)}.
              </p>
            )}
          </>
        )}
      </fieldset>

      <fieldset className="schedule-part">
        <legend>Retries</legend>
        <label className="radio">
          <input type="checkbox" checked={draft.retryOn} onChange={(e) => set({ retryOn: e.target.checked })} data-testid="retry-on" /> Retry a device whose install
          failed
        </label>
        {draft.retryOn && (
          <>
            <div className="field-row">
              <Field id="w-retry-attempts" label="Attempts in all" problem={problems.retryAttempts}>
                <input
                  id="w-retry-attempts"
                  inputMode="numeric"
                  value={draft.retryAttempts}
                  onChange={(e) => set({ retryAttempts: e.target.value })}
                  {...describedBy("w-retry-attempts", problems.retryAttempts)}
                />
              </Field>
              <Field id="w-retry-backoff" label="First wait (doubles each time)" problem={problems.retryBackoff}>
                <input
                  id="w-retry-backoff"
                  value={draft.retryBackoff}
                  placeholder="5m"
                  onChange={(e) => set({ retryBackoff: e.target.value })}
                  {...describedBy("w-retry-backoff", problems.retryBackoff)}
                />
              </Field>
            </div>
            {retryNote && (
              <p className="field-note" data-testid="retry-note">
                {retryNote}
              </p>
            )}
          </>
        )}
      </fieldset>
    </>
  );
}

// The plan as a timeline for the review: each step with its devices (the server's preview),
// its earliest start (start time, maintenance window), what lets it move on, and what happens
// on failure. Pure: the review renders it, the tests read it.
import type { PackageSummary } from "../../../bindings/PackageSummary";
import type { PlanPreview } from "../../../bindings/PlanPreview";
import { formatDuration, parseDuration } from "../../../lib/duration";
import { formatInZone, localTimeZone, zoneOffset } from "../../../lib/timeZones";
import type { Draft } from "./plan";
import { backoffText, daysText, overnight, startInstant } from "./schedule";

export interface TimelineStep {
  title: string;
  /** Devices in the slice once the step is reached (null before the preview answers). */
  devices: number | null;
  /** Devices the step adds to the slice before it. */
  added: number | null;
  /** When it can begin, at the earliest. */
  earliest: string;
  /** What moves it on (its health gate), or how it ends. */
  gate: string;
}

export interface Timeline {
  steps: TimelineStep[];
  /** The maintenance window in words, or null without one. */
  window: string | null;
  retries: string;
  threshold: string;
  onFailure: string;
}

/** `at` in `zone` with the zone named: "Thu 24 Dec 2026, 02:00 (Europe/Berlin, UTC+01:00)". */
export function whenIn(at: Date, zone: string): string {
  const offset = zoneOffset(zone, at);
  return `${formatInZone(at, zone)} (${zone}${offset ? `, ${offset}` : ""})`;
}

/** The first step's earliest start: the start time, or the window's next opening after it. */
function firstStart(d: Draft, preview: PlanPreview | undefined, nowMs: number): string {
  const zone = d.windowOn ? d.windowZone : localTimeZone();
  const start = d.startMode === "at" ? startInstant(d.startDate, d.startTime) : null;
  const startAt = start instanceof Date ? start : null;
  const opens = preview?.window_opens_at ? new Date(preview.window_opens_at) : null;
  const begin = startAt ?? new Date(nowMs);
  if (d.windowOn && opens && opens.getTime() > begin.getTime() + 60_000)
    return `${whenIn(opens, zone)}, when the window opens${startAt ? ` (scheduled for ${whenIn(startAt, zone)})` : ""}`;
  if (startAt) return whenIn(startAt, zone);
  return d.windowOn && !opens ? "Now, once the window is open" : "Now";
}

function gateText(gatePercent: number, soakSeconds: number): string {
  const soak = soakSeconds > 0 ? `, then ${formatDuration(soakSeconds)} of soak after the last verdict` : "";
  return `Moves on once every device in the slice has a verdict and at least ${gatePercent} % succeeded${soak}. Below ${gatePercent} % it waits for you (advance or roll back).`;
}

export function planTimeline(
  d: Draft,
  preview: PlanPreview | undefined,
  rollback: PackageSummary | undefined,
  pkg: PackageSummary | undefined,
  nowMs: number,
): Timeline {
  const first = firstStart(d, preview, nowMs);
  const eligible = preview?.eligible ?? null;
  const steps: TimelineStep[] = [];
  const push = (title: string, devices: number | null, earliest: string, gate: string) => {
    const before = steps.length ? steps[steps.length - 1].devices : 0;
    steps.push({ title, devices, added: devices !== null && before !== null ? devices - before : null, earliest, gate });
  };
  if (d.strategy === "phased") {
    const sizes = preview?.phase_sizes ?? null;
    d.phases.forEach((p, i) => {
      const last = i === d.phases.length - 1;
      const previous = d.phases[i - 1];
      const soak = previous ? (parseDuration(previous.soak) ?? 0) : 0;
      const earliest =
        i === 0
          ? first
          : `After phase ${i}'s gate${soak > 0 ? ` and ${formatDuration(soak)} of soak` : ""}${d.windowOn ? ", inside the window" : ""}`;
      const gate = last
        ? "Last phase: the rollout completes once every device has a verdict."
        : gateText(Number(p.gate), parseDuration(p.soak) ?? 0);
      push(`Phase ${i + 1} · ${p.percent.trim()} %`, sizes?.[i] ?? null, earliest, gate);
    });
  } else if (d.strategy === "canary") {
    push(`Canary · ${d.canaryPercent.trim()} %`, preview?.scheduled ?? null, first, "Waits for you: Advance widens the slice when you are satisfied.");
    if (Number(d.canaryPercent) < 100) push("Everyone else · 100 %", eligible, "When you advance it", "The rollout completes once every device has a verdict.");
  } else if (d.strategy === "rolling") {
    push(`Batch 1 · ${d.batchPercent.trim()} %`, preview?.scheduled ?? null, first, "The next batch starts by itself once this one finished healthy.");
    if (Number(d.batchPercent) < 100)
      push(`Next batches · ${d.batchPercent.trim()} % each`, eligible, `After each batch${d.windowOn ? ", inside the window" : ""}`, "The rollout completes once every device has a verdict.");
  } else {
    push("Every eligible device · 100 %", preview?.scheduled ?? eligible, first, "The rollout completes once every device has a verdict.");
  }

  const window = d.windowOn
    ? `${daysText(d.windowDays)}, ${d.windowStart.trim()}–${d.windowEnd.trim()}${overnight(d) ? " (closes the next morning)" : ""} ${d.windowZone}: devices are told to start only inside it.`
    : null;
  const attempts = Number(d.retryAttempts);
  const backoff = parseDuration(d.retryBackoff) ?? 0;
  const retries = d.retryOn
    ? `Up to ${attempts} attempts per device, ${backoffText(attempts, backoff)}; a device counts as failed only when its last attempt fails.`
    : "No retries: a device's first failure counts.";
  const min = Number(d.minDevices.trim() || "0");
  const threshold = `Pauses itself when more than ${d.failureThreshold.trim()} % of the slice has failed${min > 0 ? `, once ${min} device${min === 1 ? " has" : "s have"} a verdict` : ""}.`;
  const onFailure = rollback
    ? `Auto-pause: nothing more is told until you resume. Roll back sends ${rollback.version} to the devices that got ${pkg?.version ?? "the update"}.`
    : `Auto-pause: nothing more is told until you resume. No rollback package: Roll back only withdraws pending commands; updated devices keep ${pkg?.version ?? "the new build"}.`;
  return { steps, window, retries, threshold, onFailure };
}

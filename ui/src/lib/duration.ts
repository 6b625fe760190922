// Durations as people type and read them: "90s", "30m", "2h"; "0" for none. The CLI's duration
// flags take the same words (`airlift-cli rollout start --phase 10:30m:95`, `--retry-backoff 5m`).

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** Seconds in `text`, or null when it is not a duration. Plain "0" is zero; any other number
 *  needs its unit, so "60" is never taken for minutes when seconds were meant (or the reverse). */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase().replace(/\s+/g, "");
  if (t === "0") return 0;
  const m = /^(\d+)([smh])$/.exec(t);
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]] : null;
}

/** "1 h 30 min", "45 s", "2 days", "no wait" for 0. */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return "no wait";
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const mins = Math.floor((seconds % 3600) / 60);
  const secs = seconds % 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} day${days === 1 ? "" : "s"}`);
  if (hours) parts.push(`${hours} h`);
  if (mins) parts.push(`${mins} min`);
  if (secs) parts.push(`${secs} s`);
  return parts.join(" ");
}

/** What a duration field shows for `seconds`: "24h", "30m", "90s", "0" (the largest unit
 *  that divides it). */
export function durationText(seconds: number): string {
  if (seconds <= 0) return "0";
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

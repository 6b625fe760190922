// Display helpers: sizes, rates, durations and times.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

export function formatEta(secs: number | null): string {
  if (secs === null) return "estimating…";
  if (secs < 60) return `${secs} s left`;
  const m = Math.floor(secs / 60);
  if (m < 60) return `${m} min ${secs % 60} s left`;
  return `${Math.floor(m / 60)} h ${m % 60} min left`;
}

/** "14:05" in local time. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** An RFC 3339 time as "2026-11-23 14:05". */
export function formatTime(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  return `${date} ${formatClock(d.getTime())}`;
}

/** A share in per cent as a person reads it: "12.5 %" with one decimal below 10 and none above. */
export function formatPercent(p: number): string {
  if (p === 0) return "0 %";
  return p < 10 ? `${p.toFixed(1)} %` : `${Math.round(p)} %`;
}

export function percent(done: number, total: number): number {
  if (total <= 0) return 100;
  return Math.min(100, Math.floor((done / total) * 100));
}

/** How old data synced at `syncedMs` is at `nowMs`, as a person says it: "just now",
 *  "4 min old", "2 h old", "3 days old". */
export function formatAge(syncedMs: number, nowMs: number): string {
  const mins = Math.max(0, Math.floor((nowMs - syncedMs) / 60_000));
  if (mins < 1) return "just now";
  if (mins < 60) return `${mins} min old`;
  const hours = Math.floor(mins / 60);
  if (hours < 48) return `${hours} h old`;
  return `${Math.floor(hours / 24)} days old`;
}

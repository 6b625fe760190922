// IANA time zones as the webview knows them (the same database names the server's jiff reads),
// and how a wall-clock time in one of them reads.

/** The zone this computer runs in, e.g. "Europe/Berlin" ("UTC" when the system names none). */
export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** A few zones when the webview cannot list its own (older engines). */
const FALLBACK_ZONES = [
  "UTC",
  "America/Los_Angeles",
  "America/Chicago",
  "America/New_York",
  "America/Sao_Paulo",
  "Europe/London",
  "Europe/Berlin",
  "Europe/Helsinki",
  "Africa/Johannesburg",
  "Asia/Dubai",
  "Asia/Kolkata",
  "Asia/Shanghai",
  "Asia/Tokyo",
  "Australia/Sydney",
  "Pacific/Auckland",
];

/** Every zone name the webview knows, sorted, with `always` (the local zone, a saved choice)
 *  and UTC included even when the engine lists them under another name. */
export function timeZoneNames(...always: string[]): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: "timeZone") => string[] };
  let names: string[];
  try {
    names = intl.supportedValuesOf?.("timeZone") ?? FALLBACK_ZONES;
  } catch {
    names = FALLBACK_ZONES;
  }
  return [...new Set([...names, "UTC", ...always.filter(Boolean)])].sort();
}

/** "UTC+01:00" for `zone` at `at` (offsets change with daylight saving time); "" if unknown. */
export function zoneOffset(zone: string, at: Date = new Date()): string {
  try {
    const part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
      .formatToParts(at)
      .find((p) => p.type === "timeZoneName")?.value;
    if (!part) return "";
    return part === "GMT" ? "UTC+00:00" : part.replace(/^GMT/, "UTC");
  } catch {
    return "";
  }
}

/** `at` as a person in `zone` reads it: "Thu 24 Dec 2026, 02:00" (assembled from its parts, so
 *  every engine's ICU writes it the same way). */
export function formatInZone(at: Date, zone: string): string {
  try {
    const parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      weekday: "short",
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(at);
    const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
    return `${part("weekday")} ${part("day")} ${part("month")} ${part("year")}, ${part("hour")}:${part("minute")}`;
  } catch {
    return at.toISOString();
  }
}

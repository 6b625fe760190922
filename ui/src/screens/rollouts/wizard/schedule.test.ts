import { describe, expect, it } from "vitest";
import { backoffText, daysText, emptySchedule, overnight, scheduleProblems, startInstant, toRetry, toStartAt, toWindow, type ScheduleDraft } from "./schedule";

const NOW = new Date(2026, 11, 7, 12, 0).getTime();
const s = (over: Partial<ScheduleDraft> = {}): ScheduleDraft => ({ ...emptySchedule("Europe/Berlin"), ...over });

describe("schedule: start time", () => {
  it("starts now by default and sends no start_at", () => {
    expect(scheduleProblems(s(), NOW)).toEqual({});
    expect(toStartAt(s())).toBeNull();
  });

  it("takes a date and time in this computer's zone, sent as RFC 3339 UTC", () => {
    const later = s({ startMode: "at", startDate: "2026-12-24", startTime: "02:00" });
    expect(scheduleProblems(later, NOW)).toEqual({});
    expect(toStartAt(later)).toBe(new Date(2026, 11, 24, 2, 0).toISOString().replace(".000Z", "Z"));
    expect(toStartAt(later)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/);
  });

  it("explains a missing, malformed, impossible, past or too distant start next to its field", () => {
    const at = (startDate: string, startTime: string) => scheduleProblems(s({ startMode: "at", startDate, startTime }), NOW);
    expect(at("", "")).toEqual({ startDate: "Enter the start date (YYYY-MM-DD), or choose Now." });
    expect(at("2026-12-24", "")).toEqual({ startTime: "Enter the start time (HH:MM, 24-hour)." });
    expect(at("24.12.2026", "02:00")).toEqual({ startDate: 'Enter the start date as YYYY-MM-DD (e.g. 2026-12-24), not "24.12.2026".' });
    expect(at("2026-12-24", "2am")).toEqual({ startTime: 'Enter the start time as HH:MM, 24-hour (e.g. 02:00), not "2am".' });
    expect(at("2027-04-31", "02:00")).toEqual({ startDate: "2027-04-31 is not a date in the calendar." });
    expect(at("2026-12-07", "11:59")).toEqual({ startTime: "That time has passed: pick a time in the future, or choose Now." });
    expect(at("2028-01-10", "02:00")).toEqual({ startDate: "A rollout can be scheduled at most a year ahead." });
  });

  it("gives a date and time as an instant, or the field that is wrong", () => {
    expect(startInstant("2026-12-24", "02:00")).toEqual(new Date(2026, 11, 24, 2, 0));
    expect(startInstant("2026-13-01", "02:00")).toMatchObject({ field: "startDate" });
    expect(startInstant("2026-12-01", "24:00")).toMatchObject({ field: "startTime" });
  });
});

describe("schedule: maintenance window", () => {
  const on = (over: Partial<ScheduleDraft> = {}) => s({ windowOn: true, ...over });

  it("sends the days in week order, the hours and the IANA zone", () => {
    expect(toWindow(s())).toBeNull();
    expect(toWindow(on({ windowDays: ["sat", "mon", "wed"], windowStart: " 22:00", windowEnd: "04:00" }))).toEqual({
      timezone: "Europe/Berlin",
      days: ["mon", "wed", "sat"],
      start: "22:00",
      end: "04:00",
    });
  });

  it("explains no days, malformed hours and an empty window", () => {
    expect(scheduleProblems(on({ windowDays: [] }), NOW)).toEqual({ windowDays: "Tick at least one day the window opens on." });
    expect(scheduleProblems(on({ windowStart: "2:00" }), NOW).windowStart).toBe('Opening time is HH:MM, 24-hour (e.g. 02:00), not "2:00".');
    expect(scheduleProblems(on({ windowEnd: "25:00" }), NOW).windowEnd).toMatch(/Closing time is HH:MM/);
    expect(scheduleProblems(on({ windowStart: "03:00", windowEnd: "03:00" }), NOW).windowEnd).toBe(
      "Opening and closing at the same time leaves no window; to allow any time, untick the window.",
    );
    expect(scheduleProblems(on({ windowZone: "" }), NOW).windowZone).toMatch(/Choose the time zone/);
    expect(scheduleProblems(s({ windowDays: [] }), NOW), "an unticked window is not checked").toEqual({});
  });

  it("knows an overnight window and says the days as people do", () => {
    expect(overnight(on({ windowStart: "22:00", windowEnd: "04:00" }))).toBe(true);
    expect(overnight(on({ windowStart: "02:00", windowEnd: "05:00" }))).toBe(false);
    expect(daysText(["mon", "tue", "wed", "thu", "fri"])).toBe("Mon–Fri");
    expect(daysText(["sun", "sat"])).toBe("Sat, Sun");
    expect(daysText(["mon", "wed", "thu", "fri", "sun"])).toBe("Mon, Wed–Fri, Sun");
    expect(daysText(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])).toBe("every day");
  });
});

describe("schedule: retries", () => {
  const on = (over: Partial<ScheduleDraft> = {}) => s({ retryOn: true, ...over });

  it("sends attempts and the first backoff in seconds", () => {
    expect(toRetry(s())).toBeNull();
    expect(toRetry(on({ retryAttempts: "4", retryBackoff: "2m" }))).toEqual({ max_attempts: 4, backoff_seconds: 120 });
    expect(backoffText(4, 120)).toBe("told again after 2 min, then 4 min, then 8 min");
  });

  it("explains attempts out of range and a backoff that is not a duration", () => {
    expect(scheduleProblems(on({ retryAttempts: "1" }), NOW).retryAttempts).toBe(
      'Attempts in all (the first included) is a whole number from 2 to 10, not "1"; untick retries for one attempt.',
    );
    expect(scheduleProblems(on({ retryAttempts: "11" }), NOW).retryAttempts).toMatch(/from 2 to 10/);
    expect(scheduleProblems(on({ retryBackoff: "5" }), NOW).retryBackoff).toBe('"5" is not a duration: write 30s, 5m or 1h.');
    expect(scheduleProblems(on({ retryBackoff: "0" }), NOW).retryBackoff).toBe("The first wait must be at least 1 second (e.g. 30s or 5m).");
    expect(scheduleProblems(on({ retryBackoff: "25h" }), NOW).retryBackoff).toBe("The first wait can be at most 1 day, not 1 day 1 h.");
  });
});

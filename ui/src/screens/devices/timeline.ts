// One device history entry in words: what happened, the detail worth reading, and its tone.
import type { HistoryEntry } from "../../bindings/HistoryEntry";

export type Tone = "ok" | "fail" | "info" | "step";

export interface Described {
  title: string;
  /** The device's own words (a report's message), shown verbatim. */
  message: string | null;
  /** Small facts: rollout, package, progress, firmware. */
  facts: string[];
  tone: Tone;
}

const FAILURES = new Set(["INSTALL_ABORTED", "failure"]);
const SUCCESSES = new Set(["success", "INSTALL_SUCCESS", "INSTALLED_VERSION", "DOWNLOAD_SUCCESS", "TEST_SUCCESS"]);

/** A report's status tone: errors fail, successes are ok, steps are quiet. */
export function reportTone(status: string | null): Tone {
  if (!status) return "info";
  if (status.endsWith("_ERROR") || FAILURES.has(status)) return "fail";
  if (SUCCESSES.has(status)) return "ok";
  if (status.endsWith("_STEP")) return "step";
  return "info";
}

function packageText(e: HistoryEntry): string | null {
  if (e.package_version) return `version ${e.package_version}`;
  return e.package_id;
}

export function describeEntry(e: HistoryEntry): Described {
  const facts: string[] = [];
  const pkg = packageText(e);
  switch (e.kind) {
    case "assigned":
      return {
        title: `Joined the rollout${pkg ? ` of ${pkg}` : ""}`,
        message: null,
        facts: e.rollout_id ? [`rollout ${e.rollout_id}`] : [],
        tone: "info",
      };
    case "command": {
      const rollback = e.status === "ota_rollback";
      return {
        title: `${rollback ? "Rollback" : "Update"} command sent${pkg ? `: install ${pkg}` : ""}`,
        message: null,
        facts: [e.rollout_id && `rollout ${e.rollout_id}`, e.command_id && `command ${e.command_id}`].filter(
          (f): f is string => Boolean(f),
        ),
        tone: "info",
      };
    }
    case "command_acked":
      return { title: "Device acknowledged the command", message: null, facts: e.command_id ? [`command ${e.command_id}`] : [], tone: "step" };
    case "command_cancelled":
      return { title: "Command cancelled", message: e.message, facts: e.command_id ? [`command ${e.command_id}`] : [], tone: "step" };
    case "report": {
      if (e.progress !== null) facts.push(`${e.progress}%`);
      if (e.firmware_version) facts.push(`running ${e.firmware_version}`);
      return { title: `Reported ${e.status ?? "a status"}`, message: e.message, facts, tone: reportTone(e.status) };
    }
    case "version_changed":
      return {
        title: `Version changed to ${e.firmware_version ?? "?"}`,
        message: e.message,
        facts: e.rollout_id ? [`rollout ${e.rollout_id}`] : [],
        tone: "ok",
      };
    case "timed_out":
      return {
        title: "Timed out",
        message: e.message,
        facts: e.rollout_id ? [`rollout ${e.rollout_id}`] : [],
        tone: "fail",
      };
    default:
      return { title: e.kind, message: e.message, facts: e.status ? [e.status] : [], tone: "info" };
  }
}

/** The newest failure report of the timeline (newest first): the answer to "why did it fail?". */
export function newestFailure(history: HistoryEntry[]): HistoryEntry | null {
  for (const e of history) {
    if (e.kind === "command") return null;
    if ((e.kind === "report" && reportTone(e.status) === "fail") || e.kind === "timed_out") return e;
  }
  return null;
}

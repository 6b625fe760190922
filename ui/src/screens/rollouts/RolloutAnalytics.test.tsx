// The rollout view's milestone 2 parts: progress over time (what it hands the chart), the
// failure reasons (a click shows that reason's devices), the phase and its gate, a scheduled
// start, min_devices, and the scheduled and cancelled states in the diagram. jsdom has no
// canvas: the Chart module is replaced by one that records what it was given.
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, vi } from "vitest";
import type uPlot from "uplot";
import type { RolloutDetail } from "../../bindings/RolloutDetail";
import type { RolloutFailures } from "../../bindings/RolloutFailures";
import type { RolloutProgress } from "../../bindings/RolloutProgress";
import { progressData, progressSummary } from "../../components/charts/timeSeries";
import { connections } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { detail } from "./fixtures";
import { RolloutView } from "./RolloutView";

const drawn = vi.hoisted(() => ({ charts: [] as { data: uPlot.AlignedData; summary: string; height: number }[] }));
vi.mock("../../components/charts/Chart", () => ({
  Chart: (props: { data: uPlot.AlignedData; summary: string; height: number }) => {
    drawn.charts.push(props);
    return <figure data-testid="chart" aria-label={props.summary} />;
  },
}));

beforeEach(() => {
  drawn.charts = [];
  vi.spyOn(Element.prototype, "clientHeight", "get").mockReturnValue(600);
  vi.spyOn(Element.prototype, "clientWidth", "get").mockReturnValue(1000);
});
afterEach(() => {
  clearMocks();
  vi.restoreAllMocks();
});

const progress = (over: Partial<RolloutProgress> = {}): RolloutProgress => ({
  points: [
    { at: "2026-11-23T10:00:00Z", succeeded: 0, failed: 0, in_progress: 20, pending: 20 },
    { at: "2026-11-23T10:01:00Z", succeeded: 12, failed: 2, in_progress: 6, pending: 20 },
    { at: "2026-11-23T10:04:00Z", succeeded: 14, failed: 3, in_progress: 3, pending: 20 },
  ],
  fresh: true,
  synced_at_ms: Date.now(),
  offline_reason: null,
  ...over,
});

const failures = (over: Partial<RolloutFailures> = {}): RolloutFailures => ({
  groups: [
    {
      reason: "Not enough memory (required: <n>MB, available: <n>MB).",
      status: "INSTALL_ERROR",
      count: 2,
      sample_device_ids: ["dev_1", "dev_2"],
      example_message: "Not enough memory (required: 1024MB, available: 512MB).",
    },
    { reason: "no verdict before the device timeout", status: "TIMED_OUT", count: 1, sample_device_ids: ["dev_3"], example_message: null },
  ],
  fresh: true,
  synced_at_ms: Date.now(),
  offline_reason: null,
  ...over,
});

type Call = { cmd: string; args: Record<string, unknown> };

const row = (id: string) => ({
  device_id: id,
  name: `sensor-${id}`,
  current_version: "1.4.2",
  target_version: "2.0.0",
  state: id === "dev_9" ? "successful" : "failed",
  rollback_state: null,
  progress: null,
  last_status: id === "dev_9" ? "INSTALL_SUCCESS" : "INSTALL_ERROR",
  last_message: id === "dev_9" ? null : "Not enough memory (required: 1024MB, available: 512MB).",
  updated_at: "2026-11-23T10:02:00Z",
});

function backend(d: RolloutDetail, p: RolloutProgress | null, f: RolloutFailures | null, calls: Call[] = []) {
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: args as Record<string, unknown> });
    switch (cmd) {
      case "connections_list":
        return connections;
      case "rollout_detail":
        return d;
      case "rollout_progress":
        return p;
      case "rollout_failures":
        return f;
      case "rollout_devices": {
        // A failure group's devices, or every device (here: one more).
        const req = (args as { request: { failure_reason: string | null } }).request;
        const ids = req.failure_reason ? ["dev_1", "dev_2"] : ["dev_1", "dev_2", "dev_9"];
        return { offset: 0, has_more: false, rows: ids.map(row) };
      }
      default:
        return null;
    }
  });
}

const view = () => renderApp(<RolloutView id="rol_1" onBack={() => {}} onOpenDevice={() => {}} />);

/** The machine running the tests is shared: give the first answers time to arrive. */
const SLOW = { timeout: 5000 };

describe("progress over time", () => {
  it("hands the chart succeeded, failed and in progress per minute from the rollout's start, and says it in words", async () => {
    backend(detail(), progress(), failures());
    view();
    const chart = await screen.findByTestId("chart", undefined, SLOW);
    const { data, summary } = drawn.charts[drawn.charts.length - 1];
    expect(data).toHaveLength(4);
    // A zero point at creation, then each minute's counts at the end of its minute, the newest
    // at the rollout's last change (10:05: its minute is not over).
    expect(Array.from(data[0] as Float64Array)).toEqual([
      Date.parse("2026-11-23T10:00:00Z") / 1000,
      Date.parse("2026-11-23T10:01:00Z") / 1000,
      Date.parse("2026-11-23T10:02:00Z") / 1000,
      Date.parse("2026-11-23T10:05:00Z") / 1000,
    ]);
    expect(Array.from(data[1] as Float64Array)).toEqual([0, 0, 12, 14]);
    expect(Array.from(data[2] as Float64Array)).toEqual([0, 0, 2, 3]);
    expect(Array.from(data[3] as Float64Array)).toEqual([0, 20, 6, 3]);
    expect(summary).toMatch(/3 points: 14 succeeded, 3 failed, 3 in progress and 20 not told yet of 40 devices\.$/);
    expect(chart).toHaveAttribute("aria-label", summary);
    expect(screen.getByTestId("progress-chart")).toHaveAttribute("data-points", "3");
  });

  it("says when nothing has happened yet instead of drawing an empty chart", async () => {
    backend(detail({}, { status: "scheduled", start_at: "2030-01-01T00:00:00Z" }), progress({ points: [] }), failures({ groups: [] }));
    view();
    expect(await screen.findByTestId("progress-empty", undefined, SLOW)).toHaveTextContent("the rollout has not started");
    expect(screen.queryByTestId("chart")).toBeNull();
    expect(await screen.findByTestId("no-failures", undefined, SLOW)).toHaveTextContent("No device has failed so far.");
  });

  it("keeps a week of minutes in typed columns, in time order", () => {
    const start = Date.parse("2026-11-23T00:00:00Z");
    const points = Array.from({ length: 10_080 }, (_, i) => ({
      at: new Date(start + i * 60_000).toISOString(),
      succeeded: i,
      failed: i % 7,
      in_progress: 3,
      pending: 0,
    }));
    const data = progressData(points, start, start + 10_080 * 60_000);
    expect(data[0]).toBeInstanceOf(Float64Array);
    expect(data[0]).toHaveLength(10_081);
    const xs = data[0] as Float64Array;
    for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThanOrEqual(xs[i - 1]);
    expect((data[1] as Float64Array)[10_080]).toBe(10_079);
    expect(progressSummary(points, () => "t")).toContain("10080 points: 10079 succeeded");
  });

  it("shows the chart last fetched when offline, saying how old it is", async () => {
    backend(
      detail({ fresh: false, actions: [], synced_at_ms: Date.now() - 60_000, offline_reason: "server unreachable" }),
      progress({ fresh: false, synced_at_ms: new Date(2026, 10, 23, 14, 5).getTime(), offline_reason: "server unreachable" }),
      failures({ fresh: false, synced_at_ms: null, groups: [] }),
    );
    view();
    expect(await screen.findByTestId("progress-offline", undefined, SLOW)).toHaveTextContent("Offline — as of 14:05.");
    expect(await screen.findByTestId("chart", undefined, SLOW)).toBeInTheDocument();
    expect(screen.getByTestId("failures-offline")).toHaveTextContent("never loaded");
  });
});

describe("failure reasons", () => {
  it("lists each normalized reason with its count and the first message, and a click shows its devices", async () => {
    const calls: Call[] = [];
    backend(detail(), progress(), failures(), calls);
    view();
    const panel = await screen.findByTestId("failure-reasons", undefined, SLOW);
    const rows = await within(panel).findAllByTestId("failure-reason", undefined, SLOW);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("Not enough memory (required: <n>MB, available: <n>MB).");
    expect(within(rows[0]).getByTestId("failure-count")).toHaveTextContent("2");
    expect(within(rows[0]).getByTestId("failure-example")).toHaveTextContent("e.g. “Not enough memory (required: 1024MB, available: 512MB).”");
    // A timeout's reason says it all: no example line.
    expect(within(rows[1]).queryByTestId("failure-example")).toBeNull();
    expect(within(panel).getByTestId("failure-total")).toHaveTextContent("3 devices, 2 reasons");

    fireEvent.click(rows[0]);
    expect(rows[0]).toHaveAttribute("aria-pressed", "true");
    expect(await screen.findByTestId("failure-filter", undefined, SLOW)).toHaveTextContent("Not enough memory");
    await waitFor(() =>
      expect(calls.filter((c) => c.cmd === "rollout_devices").pop()?.args.request).toMatchObject({
        rollout_id: "rol_1",
        state: null,
        failure_reason: "Not enough memory (required: <n>MB, available: <n>MB).",
        failure_status: "INSTALL_ERROR",
      }),
      SLOW,
    );
    await waitFor(() => expect(screen.getAllByTestId("device-row")).toHaveLength(2), SLOW);
    expect(screen.getByTestId("device-count")).toHaveTextContent("2 devices");

    // Clicking it again shows every device.
    fireEvent.click(rows[0]);
    expect(screen.queryByTestId("failure-filter")).toBeNull();
    await waitFor(() => expect(calls.filter((c) => c.cmd === "rollout_devices").pop()?.args.request).toMatchObject({ failure_reason: null }), SLOW);
    await waitFor(() => expect(screen.getAllByTestId("device-row")).toHaveLength(3), SLOW);
  });

  it("offline, a picked reason lists the devices kept with it (the device rows need the server)", async () => {
    const opened: string[] = [];
    backend(detail({ fresh: false, actions: [] }), progress({ fresh: false }), failures({ fresh: false, synced_at_ms: Date.now() }));
    renderApp(<RolloutView id="rol_1" onBack={() => {}} onOpenDevice={(id) => opened.push(id)} />);
    const rows = await screen.findAllByTestId("failure-reason", undefined, SLOW);
    fireEvent.click(rows[0]);
    const samples = await screen.findByTestId("failure-samples", undefined, SLOW);
    expect(samples).toHaveTextContent("dev_1, dev_2");
    fireEvent.click(within(samples).getByRole("button", { name: "dev_2" }));
    expect(opened).toEqual(["dev_2"]);
  });
});

describe("plan and gate", () => {
  it("shows the phase, its success rate against what it needs, and when it advances", async () => {
    const soon = new Date(Date.now() + 42 * 60_000).toISOString();
    backend(
      detail(
        {},
        {
          min_devices: 5,
          verdicts: 3,
          threshold_armed: false,
          phase: {
            index: 1,
            count: 4,
            percent: 10,
            soak_seconds: 3600,
            min_success_percent: 95,
            success_percent: 97.5,
            next_percent: 50,
            gate: "soaking",
            undecided: 0,
            succeeded: 0,
            needed: 0,
            next_advance_at: soon,
          },
          maintenance_window: { timezone: "Europe/Berlin", days: ["mon", "tue"], start: "02:00", end: "04:00" },
          retry: { max_attempts: 3, backoff_seconds: 60 },
        },
      ),
      progress(),
      failures(),
    );
    view();
    expect(await screen.findByTestId("phase-name", undefined, SLOW)).toHaveTextContent("Phase 2 of 4");
    expect(screen.getByTestId("phase-gate")).toHaveAttribute("data-gate", "soaking");
    expect(screen.getByTestId("phase-success")).toHaveTextContent("Success 98 % now, 95 % needed to move on");
    expect(screen.getByTestId("phase-next")).toHaveTextContent("Healthy; soaking 1 h after the last verdict. Advances to 50 % in 42 min");
    // The next advance is the server's instant, machine-readable too.
    expect(screen.getByTestId("phase-next-at")).toHaveAttribute("dateTime", soon);
    expect(screen.getByTestId("threshold-min-devices")).toHaveTextContent("Failure threshold applies after 5 verdicts; 3 so far, so no auto-pause yet.");
    expect(screen.getByTestId("maintenance-window")).toHaveTextContent("Devices start only Mon, Tue 02:00–04:00 (Europe/Berlin).");
    expect(screen.getByTestId("retry-policy")).toHaveTextContent("up to 3 attempts, waiting 1 min and doubling");
  });

  it("advances a phased rollout by hand to its next phase", async () => {
    const calls: Call[] = [];
    backend(
      detail(
        { actions: ["pause", "advance", "rollback", "cancel"] },
        {
          canary_percent: 10,
          phase: {
            index: 1,
            count: 4,
            percent: 10,
            soak_seconds: 3600,
            min_success_percent: 95,
            success_percent: 100,
            next_percent: 50,
            gate: "soaking",
            undecided: 0,
            succeeded: 4,
            needed: 4,
            next_advance_at: new Date(Date.now() + 3600_000).toISOString(),
          },
        },
      ),
      progress(),
      failures(),
      calls,
    );
    view();
    fireEvent.click(await screen.findByTestId("action-advance", undefined, SLOW));
    const dialog = await screen.findByTestId("advance-dialog", undefined, SLOW);
    expect(within(dialog).getByText("Advance to the next phase")).toBeInTheDocument();
    expect(within(dialog).getByLabelText(/phase 2 of 4; phase 3 is 50 %/)).toHaveValue("50");
    fireEvent.click(within(dialog).getByTestId("confirm-advance"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "rollout_act")?.args).toMatchObject({ id: "rol_1", action: "advance", canaryPercent: 50 }));
  });

  it("says why a held phase does not advance", async () => {
    backend(
      detail(
        {},
        {
          phase: {
            index: 0,
            count: 3,
            percent: 10,
            soak_seconds: 600,
            min_success_percent: 90,
            success_percent: 85,
            next_percent: 50,
            gate: "held",
            undecided: 0,
            succeeded: 17,
            needed: 18,
            next_advance_at: null,
          },
        },
      ),
      progress(),
      failures(),
    );
    view();
    expect(await screen.findByTestId("phase-next", undefined, SLOW)).toHaveTextContent("Held: 17 of the slice succeeded, 18 needed.");
    expect(screen.getByRole("meter", { name: "Success in this phase" })).toHaveAttribute("aria-valuetext", "85 % succeeded, 90 % needed");
  });

  it("shows a scheduled rollout's start, highlights the scheduled state, and guards Cancel", async () => {
    const calls: Call[] = [];
    const start = new Date(Date.now() + 2 * 3600_000 + 60_000).toISOString();
    backend(
      detail(
        {
          actions: ["cancel"],
          transitions: [{ from: null, to: "scheduled", trigger: "schedule", actor: "alice", actor_role: "release-manager", canary_percent: 10, at: "2026-11-23T10:00:00Z" }],
        },
        { status: "scheduled", start_at: start, in_slice: 0, counters: { scheduled: 0, command_sent: 0, in_progress: 0, successful: 0, failed: 0, timed_out: 0 }, pending: 40 },
      ),
      progress({ points: [] }),
      failures({ groups: [] }),
      calls,
    );
    view();
    expect(await screen.findByTestId("scheduled-start", undefined, SLOW)).toHaveTextContent("Starts in 2 h 1 min");
    expect(screen.getByTestId("rollout-status")).toHaveTextContent("Scheduled");
    const diagram = screen.getByTestId("state-diagram");
    expect(diagram.querySelector('[data-node="scheduled"]')).toHaveAttribute("aria-current", "true");
    expect(diagram.querySelector('[data-edge="schedule"]')).toHaveAttribute("data-taken", "true");
    expect(diagram.querySelector('[data-edge="start"]')).not.toHaveAttribute("data-taken");
    for (const a of ["pause", "resume", "advance", "rollback"]) expect(screen.getByTestId(`action-${a}`)).toBeDisabled();
    fireEvent.click(screen.getByTestId("action-cancel"));
    expect(within(await screen.findByTestId("cancel-dialog", undefined, SLOW)).getByTestId("cancel-summary")).toHaveTextContent("40 devices not yet told will never be told; 0 devices");
    expect(calls.some((c) => c.cmd === "rollout_act")).toBe(false);
  });

  it("draws a cancelled rollout at its end state, the edge it took numbered", async () => {
    backend(
      detail(
        {
          actions: [],
          transitions: [
            { from: null, to: "active", trigger: "start", actor: "alice", actor_role: "release-manager", canary_percent: 10, at: "2026-11-23T10:00:00Z" },
            { from: "active", to: "paused", trigger: "pause", actor: "alice", actor_role: "release-manager", canary_percent: 10, at: "2026-11-23T10:02:00Z" },
            { from: "paused", to: "cancelled", trigger: "cancel", actor: "bob", actor_role: "admin", canary_percent: 10, at: "2026-11-23T10:03:00Z" },
          ],
        },
        { status: "cancelled" },
      ),
      progress(),
      failures(),
    );
    view();
    const diagram = await screen.findByTestId("state-diagram", undefined, SLOW);
    expect(diagram.querySelector('[data-node="cancelled"]')).toHaveAttribute("aria-current", "true");
    expect(diagram.querySelector('[data-edge="cancel-paused"]')).toHaveAttribute("data-taken", "true");
    expect(diagram.querySelector('[data-edge="cancel-paused"] text')).toHaveTextContent("cancel (3)");
    expect(diagram.querySelector('[data-edge="cancel-active"]')).not.toHaveAttribute("data-taken");
    expect(diagram.querySelector('[data-edge="end-cancelled"]')).toHaveAttribute("data-taken", "true");
    expect(screen.getByTestId("rollout-status")).toHaveTextContent("Cancelled");
    expect(screen.queryByTestId("action-cancel")).toBeNull();
  });
});

import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, vi } from "vitest";
import type { RolloutDetail } from "../../bindings/RolloutDetail";
import { connections } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { detail } from "./fixtures";
import { RolloutView } from "./RolloutView";

// jsdom has no canvas: the progress chart is checked in RolloutAnalytics.test.tsx and the E2E test.
vi.mock("../../components/charts/Chart", () => ({ Chart: () => null }));

// jsdom lays nothing out: give the virtualized table a viewport so it renders rows.
beforeEach(() => {
  vi.spyOn(Element.prototype, "clientHeight", "get").mockReturnValue(600);
  vi.spyOn(Element.prototype, "clientWidth", "get").mockReturnValue(1000);
});
afterEach(() => {
  clearMocks();
  vi.restoreAllMocks();
});

function backend(d: RolloutDetail, calls: { cmd: string; args: unknown }[] = []) {
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    switch (cmd) {
      case "connections_list":
        return connections;
      case "rollout_detail":
        return d;
      case "rollout_devices":
        return {
          offset: 0,
          has_more: false,
          rows: [
            { device_id: "dev_1", name: "sensor-1", current_version: "1.4.2", target_version: "2.0.0", state: "failed", rollback_state: null, progress: 40, last_status: "INSTALL_ERROR", last_message: "flash write failed", updated_at: "2026-11-23T10:02:00Z" },
          ],
        };
      case "rollout_act":
        return detail({ actions: [], actions_note: "The rollout is rolling back; it completes when every device has answered." }, { status: "rolling_back" });
      default:
        return null;
    }
  });
}

const view = () => renderApp(<RolloutView id="rol_1" onBack={() => {}} onOpenDevice={() => {}} />);

describe("rollout view", () => {
  it("enables exactly the actions the backend allows", async () => {
    backend(detail());
    view();
    expect(await screen.findByTestId("action-pause")).toBeEnabled();
    expect(screen.getByTestId("action-resume")).toBeDisabled();
    expect(screen.getByTestId("action-advance")).toBeEnabled();
    expect(screen.getByTestId("action-rollback")).toBeEnabled();
  });

  it("disables every action for a read-only role and says why", async () => {
    const note = "This connection's token has the support role, which can read rollouts but not change them.";
    backend(detail({ actions: [], actions_note: note, role: "support" }, { status: "paused" }));
    view();
    expect(await screen.findByTestId("actions-note")).toHaveTextContent(note);
    for (const a of ["pause", "resume", "advance", "rollback"]) expect(screen.getByTestId(`action-${a}`)).toBeDisabled();
    // Still sees everything.
    expect(screen.getByTestId("state-diagram")).toHaveAttribute("data-status", "paused");
    expect(await screen.findByText("flash write failed")).toBeInTheDocument();
  });

  it("highlights the current state and numbers the transitions taken", async () => {
    backend(
      detail(
        {
          transitions: [
            { from: null, to: "active", trigger: "start", actor: "alice", actor_role: "release-manager", canary_percent: 10, at: "2026-11-23T10:00:00Z" },
            { from: "active", to: "paused", trigger: "auto_pause", actor: "system", actor_role: "system", canary_percent: 10, at: "2026-11-23T10:03:00Z" },
          ],
          actions: ["resume", "rollback"],
        },
        { status: "paused" },
      ),
    );
    view();
    const diagram = await screen.findByTestId("state-diagram");
    expect(diagram.querySelector('[data-node="paused"]')).toHaveAttribute("aria-current", "true");
    expect(diagram.querySelector('[data-edge="pause"]')).toHaveAttribute("data-taken", "true");
    expect(diagram.querySelector('[data-edge="resume"]')).not.toHaveAttribute("data-taken");
    const list = within(screen.getByTestId("transitions"));
    expect(list.getByText(/auto-paused/)).toBeInTheDocument();
    expect(list.getByText(/system$/)).toBeInTheDocument();
  });

  it("asks before rolling back and names how many devices it touches", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    backend(detail(), calls);
    view();
    fireEvent.click(await screen.findByTestId("action-rollback"));
    const dialog = await screen.findByTestId("rollback-dialog");
    expect(within(dialog).getByTestId("rollback-summary")).toHaveTextContent("17 devices the update reached will be sent 1.4.2.");
    expect(calls.some((c) => c.cmd === "rollout_act")).toBe(false);
    fireEvent.click(within(dialog).getByTestId("confirm-rollback"));
    await waitFor(() => expect(screen.getByTestId("rollout-status")).toHaveTextContent("Rolling back"));
    expect(calls.find((c) => c.cmd === "rollout_act")?.args).toMatchObject({ id: "rol_1", action: "rollback" });
  });

  it("asks before cancelling, with who is told and who never will be", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    backend(detail({ actions: ["pause", "advance", "rollback", "cancel"] }), calls);
    view();
    fireEvent.click(await screen.findByTestId("action-cancel"));
    const dialog = await screen.findByTestId("cancel-dialog");
    // The fixture: 40 eligible, 20 in the slice (1 still scheduled); 2 sent, 3 installing.
    expect(within(dialog).getByTestId("cancel-summary")).toHaveTextContent(
      "21 devices not yet told will never be told; 5 devices already told will be sent a cancel command.",
    );
    expect(calls.some((c) => c.cmd === "rollout_act")).toBe(false);
    fireEvent.click(within(dialog).getByTestId("confirm-cancel"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "rollout_act")?.args).toMatchObject({ id: "rol_1", action: "cancel" }));
  });

  it("offers cancel only when the backend allows it", async () => {
    backend(detail());
    view();
    expect(await screen.findByTestId("action-cancel")).toBeDisabled();
  });

  it("takes a refused advance's error away once the percentage is edited, and shows it in no other dialog", async () => {
    const d = detail({ actions: ["pause", "advance", "rollback", "cancel"] });
    mockIPC((cmd) => {
      if (cmd === "connections_list") return connections;
      if (cmd === "rollout_detail") return d;
      if (cmd === "rollout_devices") return { offset: 0, has_more: false, rows: [] };
      if (cmd === "rollout_act") throw { code: "FAILED_PRECONDITION", message: "the slice may not pass 50 % while devices are installing" };
      return null;
    });
    view();
    fireEvent.click(await screen.findByTestId("action-advance"));
    const input = await screen.findByLabelText(/New canary slice/);
    fireEvent.change(input, { target: { value: "60" } });
    fireEvent.click(screen.getByTestId("confirm-advance"));
    const dialog = screen.getByTestId("advance-dialog");
    expect(await within(dialog).findByText(/may not pass 50 %/)).toBeInTheDocument();
    // The refusal was about 60 %: another percentage is another request.
    fireEvent.change(input, { target: { value: "40" } });
    expect(within(dialog).queryByText(/may not pass 50 %/)).toBeNull();

    // Closed, it is the last action's outcome on the page, but no other dialog's.
    fireEvent.change(input, { target: { value: "60" } });
    fireEvent.click(screen.getByTestId("confirm-advance"));
    expect(await within(dialog).findByText(/may not pass 50 %/)).toBeInTheDocument();
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.getByTestId("action-error")).toHaveTextContent(/may not pass 50 %/);
    fireEvent.click(screen.getByTestId("action-rollback"));
    expect(within(await screen.findByTestId("rollback-dialog")).queryByText(/may not pass 50 %/)).toBeNull();
  });

  it("explains an advance that would not raise the slice", async () => {
    backend(detail());
    view();
    fireEvent.click(await screen.findByTestId("action-advance"));
    const input = await screen.findByLabelText(/New canary slice/);
    fireEvent.change(input, { target: { value: "5" } });
    expect(screen.getByText("Advancing raises the slice: enter more than the current 10 %.")).toBeInTheDocument();
    expect(screen.getByTestId("confirm-advance")).toBeDisabled();
    fireEvent.change(input, { target: { value: "50" } });
    expect(screen.getByText(/Schedules 0 more devices \(20 of 40 in the slice\)/)).toBeInTheDocument();
    fireEvent.change(input, { target: { value: "100" } });
    expect(screen.getByText(/Schedules 20 more devices/)).toBeInTheDocument();
  });

  it("shows each outcome distinctly: a rolled-back rollout is never green and says how many devices are back", async () => {
    backend(
      detail(
        {
          actions: [],
          transitions: [
            { from: null, to: "active", trigger: "start", actor: "alice", actor_role: "release-manager", canary_percent: 10, at: "2026-11-23T10:00:00Z" },
            { from: "active", to: "rolling_back", trigger: "rollback", actor: "alice", actor_role: "release-manager", canary_percent: 10, at: "2026-11-23T10:03:00Z" },
            { from: "rolling_back", to: "completed", trigger: "rollback_finished", actor: "system", actor_role: "system", canary_percent: 10, at: "2026-11-23T10:05:00Z" },
          ],
        },
        {
          status: "completed",
          outcome: "rolled_back",
          rollback_counters: { scheduled: 0, command_sent: 0, in_progress: 0, successful: 16, failed: 1, timed_out: 0 },
        },
      ),
    );
    view();
    const badge = await screen.findByTestId("rollout-status");
    expect(badge).toHaveTextContent("Rolled back");
    expect(badge).not.toHaveClass("s-completed");
    expect(badge).toHaveClass("o-rolled_back");
    expect(screen.getByTestId("devices-summary")).toHaveTextContent("16 of 17 back on 1.4.2");
    const diagram = screen.getByTestId("state-diagram");
    expect(diagram.querySelector('[data-node="completed"]')).toHaveClass("o-rolled_back");
    expect(diagram.querySelector('[data-edge="rollback-finished"]')).toHaveAttribute("data-taken", "true");
  });

  it("says so when a rollback had no rollback package to send", async () => {
    backend(detail({ actions: [] }, { status: "completed", outcome: "rolled_back", rollback_package_id: null, rollback_version: null, rollback_counters: null }));
    view();
    expect(await screen.findByTestId("rollout-status")).toHaveTextContent("Rolled back");
    expect(screen.getByTestId("devices-summary")).toHaveTextContent("rolled back without a rollback package: 12 devices kept 2.0.0");
  });

  it("shows a completion with failures in amber with its count, on the new all-decided edge", async () => {
    backend(
      detail(
        {
          actions: [],
          retry_failed: 2,
          transitions: [
            { from: null, to: "active", trigger: "start", actor: "alice", actor_role: "release-manager", canary_percent: 100, at: "2026-11-23T10:00:00Z" },
            { from: "active", to: "completed", trigger: "finished_with_failures", actor: "system", actor_role: "system", canary_percent: 100, at: "2026-11-23T10:05:00Z" },
          ],
        },
        { status: "completed", outcome: "some_failed", counters: { scheduled: 0, command_sent: 0, in_progress: 0, successful: 38, failed: 1, timed_out: 1 } },
      ),
    );
    view();
    const badge = await screen.findByTestId("rollout-status");
    expect(badge).toHaveTextContent("Completed · 2 failed");
    expect(badge).toHaveClass("o-some_failed");
    expect(screen.getByTestId("devices-summary")).toHaveTextContent("38 of 40 updated, 2 failed");
    const diagram = screen.getByTestId("state-diagram");
    expect(diagram.querySelector('[data-edge="all-decided"]')).toHaveAttribute("data-taken", "true");
    expect(diagram.querySelector('[data-edge="all-succeeded"]')).not.toHaveAttribute("data-taken");
    expect(within(screen.getByTestId("transitions")).getByText(/every device decided, some failed/)).toBeInTheDocument();
  });

  it("shows a clean success in green", async () => {
    backend(detail({ actions: [] }, { status: "completed", outcome: "succeeded", counters: { scheduled: 0, command_sent: 0, in_progress: 0, successful: 40, failed: 0, timed_out: 0 } }));
    view();
    const badge = await screen.findByTestId("rollout-status");
    expect(badge).toHaveTextContent("Succeeded");
    expect(badge).toHaveClass("s-completed");
    expect(screen.queryByTestId("action-retry-failed")).not.toBeInTheDocument();
  });

  it("asks before resuming at or above the threshold, stating the numbers", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    backend(
      detail(
        { actions: ["resume", "rollback"] },
        {
          status: "paused",
          in_slice: 40,
          failure_threshold_percent: 20,
          failure_rate_percent: 30,
          at_or_above_threshold: true,
          counters: { scheduled: 0, command_sent: 0, in_progress: 0, successful: 28, failed: 10, timed_out: 2 },
        },
      ),
      calls,
    );
    view();
    fireEvent.click(await screen.findByTestId("action-resume"));
    const dialog = await screen.findByTestId("resume-dialog");
    expect(within(dialog).getByTestId("resume-summary")).toHaveTextContent("12 of 40 devices failed (30 %), above the 20 % threshold. Resume anyway?");
    expect(calls.some((c) => c.cmd === "rollout_act")).toBe(false);
    fireEvent.click(within(dialog).getByTestId("confirm-resume"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "rollout_act")?.args).toMatchObject({ id: "rol_1", action: "resume" }));
  });

  it("resumes at once below the threshold", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    backend(detail({ actions: ["resume", "rollback"] }, { status: "paused" }), calls);
    view();
    fireEvent.click(await screen.findByTestId("action-resume"));
    await waitFor(() => expect(calls.some((c) => c.cmd === "rollout_act")).toBe(true));
    expect(screen.queryByTestId("resume-dialog")).not.toBeInTheDocument();
  });

  it("warns in the advance dialog when the failure rate is at the threshold", async () => {
    backend(detail({}, { in_slice: 20, failure_threshold_percent: 10, failure_rate_percent: 10, at_or_above_threshold: true }));
    view();
    fireEvent.click(await screen.findByTestId("action-advance"));
    expect(await screen.findByTestId("advance-threshold-warning")).toHaveTextContent("2 of 20 devices failed (10 %), at the 10 % threshold. Advance anyway?");
    expect(screen.getByTestId("confirm-advance")).toHaveTextContent(/Advance anyway to \d+ %/);
  });

  it("retries the failed devices of a completed rollout in a new one, and opens it", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "connections_list") return connections;
      if (cmd === "rollout_detail")
        return detail(
          { actions: [], retry_failed: 43, actions_note: "The rollout is completed; Retry failed devices starts a new rollout for its 43 failed or timed-out devices." },
          { status: "completed", outcome: "some_failed" },
        );
      if (cmd === "rollout_devices") return { offset: 0, has_more: false, rows: [] };
      if (cmd === "rollout_retry_failed") return { id: "rol_2", scheduled: 43, eligible: 43 };
      return null;
    });
    view();
    fireEvent.click(await screen.findByTestId("action-retry-failed"));
    // Completed: retrying is the one action left, so the operator buttons are not shown at all.
    for (const gone of ["action-pause", "action-resume", "action-advance", "action-rollback"]) {
      expect(screen.queryByTestId(gone)).toBeNull();
    }
    const dialog = await screen.findByTestId("retry-dialog");
    expect(within(dialog).getByTestId("retry-summary")).toHaveTextContent(
      "A new rollout of 2.0.0 to exactly the 43 devices that failed or timed out here, all at once, with the same 10 % threshold and rollback to 1.4.2.",
    );
    expect(calls.some((c) => c.cmd === "rollout_retry_failed")).toBe(false);
    fireEvent.click(within(dialog).getByTestId("confirm-retry-failed"));
    await waitFor(() => expect(window.location.hash).toBe("#/rollouts/rol_2"));
    expect(calls.find((c) => c.cmd === "rollout_retry_failed")?.args).toEqual({ id: "rol_1" });
    window.location.hash = "";
  });

  it("links a retry to the rollout it retries", async () => {
    backend(detail({}, { id: "rol_2", retry_of: "rol_1" }));
    view();
    const link = within(await screen.findByTestId("retry-of")).getByRole("link", { name: "rol_1" });
    expect(link).toHaveAttribute("href", "#/rollouts/rol_1");
  });
});

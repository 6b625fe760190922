import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, vi } from "vitest";
import type { RolloutDetail } from "../../bindings/RolloutDetail";
import { connections } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { detail } from "./fixtures";
import { RolloutView } from "./RolloutView";

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
});

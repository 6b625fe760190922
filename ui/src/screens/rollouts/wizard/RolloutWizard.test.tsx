import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, vi } from "vitest";
import { catalog, connections, pkg } from "../../../test/fixtures";
import { renderApp } from "../../../test/render";
import { leaveThen, useRoute } from "../../../lib/route";
import type { RolloutPlan } from "../../../bindings/RolloutPlan";
import { RolloutWizard } from "./RolloutWizard";

afterEach(() => {
  clearMocks();
  vi.useRealTimers();
});

function backend(calls: { cmd: string; args: unknown }[]) {
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    switch (cmd) {
      case "connections_list":
        return connections;
      case "catalog_cached":
      case "catalog_refresh":
        return catalog({
          packages: [pkg({ id: "new", version: "2.0.0" }), pkg({ id: "old", version: "1.4.2" }), pkg({ id: "gw", version: "1.0.0", device_type: "gateway" })],
        });
      case "rollout_targets":
        return [
          { id: "sensors", name: "temp-sensor-v2", device_type: "temp-sensor" },
          { id: "gateways", name: "gateway", device_type: "gateway" },
        ];
      case "rollout_preview": {
        const plan = (args as { plan: { canary_percent: number } }).plan;
        return {
          eligible: 40,
          scheduled: Math.ceil((plan.canary_percent * 40) / 100),
          skipped: 3,
          skipped_by_reason: [{ reason: "below_min_version", description: "device firmware is below the package's minimum version", count: 3 }],
          skipped_examples: [],
          canary_percent: plan.canary_percent,
        };
      }
      case "rollout_start":
        return { id: "rol_9", scheduled: 4, eligible: 40 };
      default:
        return null;
    }
  });
}

describe("rollout wizard", () => {
  it("explains a wrong profile next to it, shows eligibility, and starts with the reviewed counts", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    backend(calls);
    const started = vi.fn();
    renderApp(<RolloutWizard onStarted={started} onCancel={() => {}} />);
    await screen.findByRole("option", { name: /temp-sensor-v2/ });
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });

    // Trying to go on without choices says what is missing, next to each field.
    fireEvent.click(screen.getByRole("button", { name: "Next: strategy" }));
    expect(screen.getByText("Choose the package to roll out.")).toBeInTheDocument();

    fireEvent.change(screen.getByLabelText("Package"), { target: { value: "new" } });
    fireEvent.change(screen.getByLabelText("Target profile"), { target: { value: "gateways" } });
    expect(screen.getByText(/holds gateway devices, but package 2.0.0 is for temp-sensor/)).toBeInTheDocument();
    expect(screen.getByLabelText("Target profile")).toHaveAttribute("aria-invalid", "true");

    fireEvent.change(screen.getByLabelText("Target profile"), { target: { value: "sensors" } });
    expect(await screen.findByTestId("eligible-count")).toHaveTextContent("40");
    expect(screen.getByText(/device firmware is below the package's minimum version/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Next: strategy" }));

    fireEvent.change(await screen.findByLabelText("Canary slice"), { target: { value: "0" } });
    expect(screen.getByText("The canary percentage must be between 1 and 100 %, not 0.")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Canary slice"), { target: { value: "10" } });
    fireEvent.change(screen.getByLabelText("Rollback package"), { target: { value: "old" } });
    expect(await screen.findByTestId("strategy-count")).toHaveTextContent("Starts with 4 of 40 eligible devices.");
    // 4 devices: one failure is 25 %, above the 10 % threshold.
    expect(screen.getByText(/one failure is 25.0 % \(above 10 %\): the first failure pauses the rollout/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Next: schedule" }));
    fireEvent.click(await screen.findByRole("button", { name: "Next: review" }));

    expect(await screen.findByTestId("review-scheduled")).toHaveTextContent("4");
    fireEvent.click(screen.getByTestId("start-rollout"));
    await waitFor(() => expect(started).toHaveBeenCalledWith("rol_9"));
    expect(calls.find((c) => c.cmd === "rollout_start")?.args).toEqual({
      plan: {
        package_id: "new",
        target_profile_id: "sensors",
        strategy: "canary",
        canary_percent: 10,
        failure_threshold_percent: 10,
        rollback_package_id: "old",
        batch_percent: null,
        force: false,
        allow_downgrade: false,
        phases: null,
        min_devices: null,
        start_at: null,
        maintenance_window: null,
        retry: null,
      },
    });
  });

  it("does not let a rollout start when no device is eligible", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    backend(calls);
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "rollout_preview") return { eligible: 0, scheduled: 0, skipped: 5, skipped_by_reason: [{ reason: "already_on_version", description: "device already runs the package's version", count: 5 }], skipped_examples: [], canary_percent: 10 };
      if (cmd === "connections_list") return connections;
      if (cmd === "catalog_cached" || cmd === "catalog_refresh") return catalog({ packages: [pkg({ id: "new" })] });
      if (cmd === "rollout_targets") return [{ id: "sensors", name: "temp-sensor-v2", device_type: "temp-sensor" }];
      return null;
    });
    renderApp(<RolloutWizard onStarted={() => {}} onCancel={() => {}} />);
    await screen.findByRole("option", { name: /temp-sensor-v2/ });
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });
    fireEvent.change(screen.getByLabelText("Package"), { target: { value: "new" } });
    fireEvent.change(screen.getByLabelText("Target profile"), { target: { value: "sensors" } });
    expect(await screen.findByTestId("preview-problem")).toHaveTextContent("None of the profile's 5 devices is eligible");
    fireEvent.click(screen.getByRole("button", { name: "Next: strategy" }));
    expect(screen.getByRole("heading", { name: "Package and target" })).toBeInTheDocument();
  });

  it("shows devices on a newer version, and includes them only when the downgrade is allowed", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "connections_list") return connections;
      if (cmd === "catalog_cached" || cmd === "catalog_refresh") return catalog({ packages: [pkg({ id: "new", version: "2.0.0" })] });
      if (cmd === "rollout_targets") return [{ id: "sensors", name: "temp-sensor-v2", device_type: "temp-sensor" }];
      if (cmd === "rollout_preview") {
        const allow = (args as { plan: { allow_downgrade: boolean } }).plan.allow_downgrade;
        return allow
          ? { eligible: 258, scheduled: 26, skipped: 0, skipped_by_reason: [], skipped_examples: [], canary_percent: 10, would_downgrade: 0, conflicting_rollout_id: null }
          : {
              eligible: 43,
              scheduled: 5,
              skipped: 215,
              skipped_by_reason: [{ reason: "would_downgrade", description: "device runs a newer version than the package's", count: 215 }],
              skipped_examples: [],
              canary_percent: 10,
              would_downgrade: 215,
              conflicting_rollout_id: null,
            };
      }
      if (cmd === "rollout_start") return { id: "rol_9", scheduled: 26, eligible: 258 };
      return null;
    });
    renderApp(<RolloutWizard onStarted={() => {}} onCancel={() => {}} />);
    await screen.findByRole("option", { name: /temp-sensor-v2/ });
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });
    fireEvent.change(screen.getByLabelText("Package"), { target: { value: "new" } });
    fireEvent.change(screen.getByLabelText("Target profile"), { target: { value: "sensors" } });
    const warning = await screen.findByTestId("downgrade-warning");
    expect(warning).toHaveTextContent("215 devices run a newer version than 2.0.0. They are left out: a rollout never downgrades a device unless you allow it.");
    expect(screen.getByTestId("eligible-count")).toHaveTextContent("43");

    fireEvent.click(within(warning).getByLabelText("Allow downgrade"));
    await waitFor(() => expect(screen.getByTestId("eligible-count")).toHaveTextContent("258"));
    expect(screen.getByTestId("downgrade-warning")).toHaveTextContent("215 devices run a newer version than 2.0.0. They are included and will be taken back to 2.0.0.");
    fireEvent.click(screen.getByRole("button", { name: "Next: strategy" }));
    fireEvent.click(await screen.findByRole("button", { name: "Next: schedule" }));
    fireEvent.click(await screen.findByRole("button", { name: "Next: review" }));
    fireEvent.click(await screen.findByTestId("start-rollout"));
    await waitFor(() => expect(calls.some((c) => c.cmd === "rollout_start")).toBe(true));
    expect(calls.find((c) => c.cmd === "rollout_start")?.args).toMatchObject({ plan: { allow_downgrade: true } });
  });

  it("shows a conflicting unfinished rollout before anything is submitted, and offers to open it", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "connections_list") return connections;
      if (cmd === "catalog_cached" || cmd === "catalog_refresh") return catalog({ packages: [pkg({ id: "new" })] });
      if (cmd === "rollout_targets") return [{ id: "sensors", name: "temp-sensor-v2", device_type: "temp-sensor" }];
      if (cmd === "rollout_preview")
        return { eligible: 40, scheduled: 4, skipped: 0, skipped_by_reason: [], skipped_examples: [], canary_percent: 10, would_downgrade: 0, conflicting_rollout_id: "rol_7" };
      return null;
    });
    const open = vi.fn();
    renderApp(<RolloutWizard onStarted={() => {}} onCancel={() => {}} onOpenRollout={open} />);
    await screen.findByRole("option", { name: /temp-sensor-v2/ });
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });
    fireEvent.change(screen.getByLabelText("Package"), { target: { value: "new" } });
    fireEvent.change(screen.getByLabelText("Target profile"), { target: { value: "sensors" } });
    expect(await screen.findByTestId("preview-problem")).toHaveTextContent("Rollout rol_7 is still unfinished on some of these devices");
    fireEvent.click(screen.getByRole("button", { name: "Next: strategy" }));
    expect(screen.getByRole("heading", { name: "Package and target" })).toBeInTheDocument();
    fireEvent.click(screen.getByTestId("open-conflicting-rollout"));
    expect(open).toHaveBeenCalledWith("rol_7");
    expect(calls.some((c) => c.cmd === "rollout_start")).toBe(false);
  });

  it("offers to open the rollout that took the devices between the preview and the start", async () => {
    mockIPC((cmd) => {
      if (cmd === "connections_list") return connections;
      if (cmd === "catalog_cached" || cmd === "catalog_refresh") return catalog({ packages: [pkg({ id: "new" })] });
      if (cmd === "rollout_targets") return [{ id: "sensors", name: "temp-sensor-v2", device_type: "temp-sensor" }];
      if (cmd === "rollout_preview")
        return { eligible: 40, scheduled: 4, skipped: 0, skipped_by_reason: [], skipped_examples: [], canary_percent: 10, would_downgrade: 0, conflicting_rollout_id: null };
      if (cmd === "rollout_start")
        throw { code: "FAILED_PRECONDITION", message: "rollout rol_8 is still unfinished on 4 of these devices", conflicting_rollout_id: "rol_8" };
      return null;
    });
    const open = vi.fn();
    renderApp(<RolloutWizard onStarted={() => {}} onCancel={() => {}} onOpenRollout={open} />);
    await screen.findByRole("option", { name: /temp-sensor-v2/ });
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });
    fireEvent.change(screen.getByLabelText("Package"), { target: { value: "new" } });
    fireEvent.change(screen.getByLabelText("Target profile"), { target: { value: "sensors" } });
    await screen.findByTestId("eligible-count");
    fireEvent.click(screen.getByRole("button", { name: "Next: strategy" }));
    fireEvent.click(await screen.findByRole("button", { name: "Next: schedule" }));
    fireEvent.click(await screen.findByRole("button", { name: "Next: review" }));
    fireEvent.click(await screen.findByTestId("start-rollout"));
    expect(await screen.findByTestId("start-error")).toHaveTextContent("rollout rol_8 is still unfinished on 4 of these devices FAILED_PRECONDITION");
    fireEvent.click(screen.getByTestId("open-start-conflict"));
    expect(open).toHaveBeenCalledWith("rol_8");
  });

  it("keeps the server's refusal to start while the plan is the one refused, and drops it once the plan is edited", async () => {
    mockIPC((cmd) => {
      if (cmd === "connections_list") return connections;
      if (cmd === "catalog_cached" || cmd === "catalog_refresh") return catalog({ packages: [pkg({ id: "new" })] });
      if (cmd === "rollout_targets") return [{ id: "sensors", name: "temp-sensor-v2", device_type: "temp-sensor" }];
      if (cmd === "rollout_preview")
        return { eligible: 40, scheduled: 4, skipped: 0, skipped_by_reason: [], skipped_examples: [], canary_percent: 10, would_downgrade: 0, conflicting_rollout_id: null };
      if (cmd === "rollout_start") throw { code: "RESOURCE_EXHAUSTED", message: "at most 5 rollouts may run at once" };
      return null;
    });
    renderApp(<RolloutWizard onStarted={() => {}} onCancel={() => {}} />);
    await screen.findByRole("option", { name: /temp-sensor-v2/ });
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });
    fireEvent.change(screen.getByLabelText("Package"), { target: { value: "new" } });
    fireEvent.change(screen.getByLabelText("Target profile"), { target: { value: "sensors" } });
    await screen.findByTestId("eligible-count");
    fireEvent.click(screen.getByRole("button", { name: "Next: strategy" }));
    fireEvent.click(await screen.findByRole("button", { name: "Next: schedule" }));
    fireEvent.click(await screen.findByRole("button", { name: "Next: review" }));
    fireEvent.click(await screen.findByTestId("start-rollout"));
    expect(await screen.findByTestId("start-error")).toHaveTextContent("at most 5 rollouts may run at once");

    // Looking back changes nothing: the refusal is still about this plan.
    fireEvent.click(screen.getByRole("button", { name: "Back" }));
    fireEvent.click(screen.getByRole("button", { name: "Back" }));
    expect(screen.getByTestId("start-error")).toBeInTheDocument();
    // An edit makes another plan, which the server has not judged.
    fireEvent.change(screen.getByLabelText("Canary slice"), { target: { value: "5" } });
    expect(screen.queryByTestId("start-error")).not.toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Canary slice"), { target: { value: "10" } });
    expect(screen.queryByTestId("start-error")).not.toBeInTheDocument();
  });

  it("asks before starting All at once on more than 100 devices, stating how many", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "connections_list") return connections;
      if (cmd === "catalog_cached" || cmd === "catalog_refresh") return catalog({ packages: [pkg({ id: "new" })] });
      if (cmd === "rollout_targets") return [{ id: "sensors", name: "temp-sensor-v2", device_type: "temp-sensor" }];
      if (cmd === "rollout_preview") {
        const plan = (args as { plan: { canary_percent: number } }).plan;
        const scheduled = Math.ceil((plan.canary_percent * 258) / 100);
        return { eligible: 258, scheduled, skipped: 0, skipped_by_reason: [], skipped_examples: [], canary_percent: plan.canary_percent, would_downgrade: 0, conflicting_rollout_id: null };
      }
      if (cmd === "rollout_start") return { id: "rol_9", scheduled: 258, eligible: 258 };
      return null;
    });
    const started = vi.fn();
    renderApp(<RolloutWizard onStarted={started} onCancel={() => {}} />);
    await screen.findByRole("option", { name: /temp-sensor-v2/ });
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });
    fireEvent.change(screen.getByLabelText("Package"), { target: { value: "new" } });
    fireEvent.change(screen.getByLabelText("Target profile"), { target: { value: "sensors" } });
    await screen.findByTestId("eligible-count");
    fireEvent.click(screen.getByRole("button", { name: "Next: strategy" }));
    fireEvent.click(await screen.findByLabelText(/All at once/));
    fireEvent.click(screen.getByRole("button", { name: "Next: schedule" }));
    fireEvent.click(await screen.findByRole("button", { name: "Next: review" }));
    await waitFor(() => expect(screen.getByTestId("review-scheduled")).toHaveTextContent("258"));
    fireEvent.click(screen.getByTestId("start-rollout"));
    const dialog = await screen.findByTestId("all-at-once-dialog");
    expect(within(dialog).getByTestId("all-at-once-summary")).toHaveTextContent(
      "All at once sends the update to all 258 eligible devices now, with no canary first. Only the 10 % failure threshold can stop it.",
    );
    expect(calls.some((c) => c.cmd === "rollout_start")).toBe(false);
    fireEvent.click(within(dialog).getByTestId("confirm-all-at-once"));
    await waitFor(() => expect(started).toHaveBeenCalledWith("rol_9"));
  });

  it("asks before a navigation leaves it with entered data, and stays or leaves as answered", async () => {
    backend([]);
    const gone = vi.fn();
    // Nothing entered yet: leaving needs no question.
    renderApp(<RolloutWizard onStarted={() => {}} onCancel={() => {}} />);
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });
    act(() => leaveThen(gone));
    expect(gone).toHaveBeenCalledTimes(1);

    fireEvent.change(screen.getByLabelText("Package"), { target: { value: "new" } });
    act(() => leaveThen(gone));
    const dialog = await screen.findByTestId("leave-wizard-dialog");
    expect(dialog).toHaveTextContent("The choices you entered are not saved");
    expect(gone).toHaveBeenCalledTimes(1);
    fireEvent.click(within(dialog).getByTestId("stay-in-wizard"));
    expect(screen.queryByTestId("leave-wizard-dialog")).not.toBeInTheDocument();
    expect(screen.getByLabelText("Package")).toHaveValue("new");

    act(() => leaveThen(gone));
    fireEvent.click(within(await screen.findByTestId("leave-wizard-dialog")).getByTestId("leave-wizard"));
    expect(gone).toHaveBeenCalledTimes(2);
  });

  it("holds a hash change (a link, a notification click) until the person chose to leave", async () => {
    backend([]);
    window.location.hash = "#/rollouts";
    function Shell() {
      const [route, navigate] = useRoute();
      return route.section === "rollouts" ? (
        <>
          <button type="button" onClick={() => navigate("#/devices")}>
            Devices
          </button>
          <RolloutWizard onStarted={() => {}} onCancel={() => {}} />
        </>
      ) : (
        <p>The devices screen</p>
      );
    }
    renderApp(<Shell />);
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });
    fireEvent.change(screen.getByLabelText("Package"), { target: { value: "new" } });

    // A link elsewhere: the wizard stays, and so does the address, until the answer.
    act(() => {
      window.location.hash = "#/devices/dev_1";
    });
    const dialog = await screen.findByTestId("leave-wizard-dialog");
    expect(window.location.hash).toBe("#/rollouts");
    fireEvent.click(within(dialog).getByTestId("leave-wizard"));
    expect(await screen.findByText("The devices screen")).toBeInTheDocument();
    expect(window.location.hash).toBe("#/devices/dev_1");
    window.location.hash = "";
  });

  it("opens with a package chosen elsewhere (an upload's result), which alone is no input to guard", async () => {
    backend([]);
    let leftTo = "";
    renderApp(<RolloutWizard initialPackageId="new" onStarted={() => {}} onCancel={() => {}} />);
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });
    expect(screen.getByLabelText("Package")).toHaveValue("new");
    // Leaving before touching anything goes at once: no "discard?" for what the wizard was given.
    act(() => leaveThen(() => (leftTo = "devices")));
    expect(leftTo).toBe("devices");
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("edits phases from a preset, checks them in words, schedules a window and retries, and starts what the review shows", async () => {
    // A fixed "now" (the clock only, timers stay real): the window opens the next night.
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-12-07T12:00:00Z") });
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "connections_list") return connections;
      if (cmd === "catalog_cached" || cmd === "catalog_refresh") return catalog({ packages: [pkg({ id: "new", version: "2.0.0" }), pkg({ id: "old", version: "1.4.2" })] });
      if (cmd === "rollout_targets") return [{ id: "sensors", name: "temp-sensor-v2", device_type: "temp-sensor" }];
      if (cmd === "rollout_preview") {
        const plan = (args as { plan: RolloutPlan }).plan;
        return {
          eligible: 40,
          scheduled: Math.ceil((plan.canary_percent * 40) / 100),
          skipped: 0,
          skipped_by_reason: [],
          skipped_examples: [],
          canary_percent: plan.canary_percent,
          would_downgrade: 0,
          conflicting_rollout_id: null,
          phase_sizes: plan.phases?.map((p) => Math.ceil((p.percent * 40) / 100)) ?? null,
          window_opens_at: plan.maintenance_window ? "2026-12-08T01:00:00Z" : null,
        };
      }
      if (cmd === "rollout_start") return { id: "rol_9", scheduled: 2, eligible: 40 };
      return null;
    });
    const started = vi.fn();
    renderApp(<RolloutWizard onStarted={started} onCancel={() => {}} />);
    await screen.findByRole("option", { name: /temp-sensor-v2/ });
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });
    fireEvent.change(screen.getByLabelText("Package"), { target: { value: "new" } });
    fireEvent.change(screen.getByLabelText("Target profile"), { target: { value: "sensors" } });
    await screen.findByTestId("eligible-count");
    fireEvent.click(screen.getByRole("button", { name: "Next: strategy" }));

    // Phases: the 1 → 10 → 50 → 100 % preset, with the server's devices per phase.
    fireEvent.click(await screen.findByLabelText(/Phases/));
    const editor = await screen.findByTestId("phases-editor");
    expect(within(editor).getByLabelText(/1 % → 10 % → 50 % → 100 %/)).toBeChecked();
    await waitFor(() => expect(screen.getByTestId("phase-4-devices")).toHaveTextContent("40"));
    expect(screen.getByTestId("phase-1-devices")).toHaveTextContent("1");

    // Down to three phases: drop the 1 % one, move things around, and read what is wrong.
    fireEvent.click(screen.getByRole("button", { name: "Remove phase 1" }));
    expect(within(editor).getByLabelText(/^Custom/)).toBeChecked();
    fireEvent.click(screen.getByRole("button", { name: "Move phase 2 up" }));
    expect(screen.getByLabelText("Phase 2 slice")).toHaveValue("10");
    expect(screen.getByText("Phase 2 must cover more than phase 1's 50 %: each phase widens the rollout (move it up, or raise it).")).toBeInTheDocument();
    expect(screen.getByLabelText("Phase 2 slice")).toHaveAttribute("aria-invalid", "true");
    fireEvent.click(screen.getByRole("button", { name: "Move phase 1 down" }));
    fireEvent.change(screen.getByLabelText("Phase 1 slice"), { target: { value: "5" } });
    fireEvent.change(screen.getByLabelText("Phase 2 soak time"), { target: { value: "-1h" } });
    expect(screen.getByText("A soak time cannot be negative; use 0 to move on as soon as the gate is met.")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Next: schedule" }));
    expect(screen.getByRole("heading", { name: "Strategy" })).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Phase 2 soak time"), { target: { value: "2h" } });
    fireEvent.change(screen.getByLabelText("Phase 2 health gate"), { target: { value: "90" } });
    fireEvent.change(screen.getByLabelText("Threshold waits for"), { target: { value: "3" } });
    await waitFor(() => expect(screen.getByTestId("phase-1-devices")).toHaveTextContent("2"));
    fireEvent.click(screen.getByRole("button", { name: "Next: schedule" }));

    // Schedule: a window on two nights in a chosen zone, and retries.
    await screen.findByRole("heading", { name: "Schedule" });
    fireEvent.click(screen.getByTestId("window-on"));
    for (const day of ["mon", "tue", "wed", "thu", "fri"]) fireEvent.click(screen.getByTestId(`day-${day}`));
    fireEvent.click(screen.getByRole("button", { name: "Next: review" }));
    expect(screen.getByText("Tick at least one day the window opens on.")).toBeInTheDocument();
    fireEvent.click(screen.getByTestId("day-sat"));
    fireEvent.click(screen.getByTestId("day-sun"));
    fireEvent.change(screen.getByLabelText("Opens (HH:MM)"), { target: { value: "22:00" } });
    fireEvent.change(screen.getByLabelText("Closes (HH:MM)"), { target: { value: "04:00" } });
    expect(screen.getByText("Before the opening time: the window closes the next morning.")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Time zone"), { target: { value: "Europe/Berlin" } });
    expect(await screen.findByTestId("window-opens")).toHaveTextContent("Next opening: Tue 8 Dec 2026, 02:00 (Europe/Berlin");
    fireEvent.click(screen.getByTestId("retry-on"));
    fireEvent.change(screen.getByLabelText("Attempts in all"), { target: { value: "3" } });
    fireEvent.change(screen.getByLabelText("First wait (doubles each time)"), { target: { value: "10m" } });
    expect(screen.getByTestId("retry-note")).toHaveTextContent("A failed device is told again after 10 min, then 20 min");
    fireEvent.click(screen.getByRole("button", { name: "Next: review" }));

    // The review: the plan as a timeline, in the server's numbers.
    const timeline = await screen.findByTestId("plan-timeline");
    expect(within(timeline).getByTestId("timeline-step-1")).toHaveTextContent("Phase 1 · 5 %");
    expect(within(timeline).getByTestId("timeline-devices-1")).toHaveTextContent("2 devices");
    expect(within(timeline).getByTestId("timeline-devices-2")).toHaveTextContent("20 devices (+18)");
    expect(within(timeline).getByTestId("timeline-devices-3")).toHaveTextContent("40 devices (+20)");
    expect(within(timeline).getByTestId("timeline-step-1")).toHaveTextContent("when the window opens");
    expect(within(timeline).getByTestId("timeline-window")).toHaveTextContent("Sat, Sun, 22:00–04:00 (closes the next morning) Europe/Berlin");
    expect(within(timeline).getByTestId("timeline-retries")).toHaveTextContent("Up to 3 attempts per device");
    expect(within(timeline).getByTestId("timeline-threshold")).toHaveTextContent("more than 10 % of the slice has failed, once 3 devices have a verdict");
    fireEvent.click(screen.getByTestId("start-rollout"));
    await waitFor(() => expect(started).toHaveBeenCalledWith("rol_9"));
    expect(calls.find((c) => c.cmd === "rollout_start")?.args).toMatchObject({
      plan: {
        strategy: "canary",
        canary_percent: 5,
        min_devices: 3,
        start_at: null,
        phases: [
          { percent: 5, soak_seconds: 3600, min_success_percent: 95 },
          { percent: 50, soak_seconds: 7200, min_success_percent: 90 },
          { percent: 100, soak_seconds: 3600, min_success_percent: 95 },
        ],
        maintenance_window: { timezone: "Europe/Berlin", days: ["sat", "sun"], start: "22:00", end: "04:00" },
        retry: { max_attempts: 3, backoff_seconds: 600 },
      },
    });
    vi.useRealTimers();
    // A walk through every step: more than the default 5 s on a busy machine.
  }, 30_000);

  it("shows the server's refusal of the plan on the step where it was made, before anything starts", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "connections_list") return connections;
      if (cmd === "catalog_cached" || cmd === "catalog_refresh") return catalog({ packages: [pkg({ id: "new" })] });
      if (cmd === "rollout_targets") return [{ id: "sensors", name: "temp-sensor-v2", device_type: "temp-sensor" }];
      if (cmd === "rollout_preview") {
        const plan = (args as { plan: RolloutPlan }).plan;
        if (plan.maintenance_window)
          throw { code: "INVALID_ARGUMENT", message: 'maintenance_window.timezone must be an IANA time zone name such as Europe/Berlin, got "Mars/Olympus"' };
        return { eligible: 40, scheduled: 4, skipped: 0, skipped_by_reason: [], skipped_examples: [], canary_percent: 10, would_downgrade: 0, conflicting_rollout_id: null, phase_sizes: null, window_opens_at: null };
      }
      return null;
    });
    renderApp(<RolloutWizard onStarted={() => {}} onCancel={() => {}} />);
    await screen.findByRole("option", { name: /temp-sensor-v2/ });
    await screen.findByRole("option", { name: /temp-sensor 2.0.0/ });
    fireEvent.change(screen.getByLabelText("Package"), { target: { value: "new" } });
    fireEvent.change(screen.getByLabelText("Target profile"), { target: { value: "sensors" } });
    await screen.findByTestId("eligible-count");
    fireEvent.click(screen.getByRole("button", { name: "Next: strategy" }));
    fireEvent.click(await screen.findByRole("button", { name: "Next: schedule" }));
    await screen.findByRole("heading", { name: "Schedule" });
    fireEvent.click(screen.getByTestId("window-on"));
    expect(await screen.findByText(/maintenance_window.timezone must be an IANA time zone name/)).toBeInTheDocument();
    expect(screen.getByText(/The server would not take this plan/)).toBeInTheDocument();
    expect(calls.some((c) => c.cmd === "rollout_start")).toBe(false);
  });
});

import { fireEvent, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, vi } from "vitest";
import { catalog, connections, pkg } from "../../../test/fixtures";
import { renderApp } from "../../../test/render";
import { RolloutWizard } from "./RolloutWizard";

afterEach(() => clearMocks());

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
    fireEvent.click(screen.getByRole("button", { name: "Next: review" }));

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
});

import { fireEvent, screen, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { connections } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { DevicesScreen } from "./DevicesScreen";
import { describeEntry } from "./timeline";
import { agentLabel } from "./agent";
import { detail, entry } from "./fixtures";

afterEach(() => clearMocks());

function backend(exportAnswer: unknown = "/home/me/history-dev_01abc.csv") {
  const calls: { cmd: string; args: unknown }[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    switch (cmd) {
      case "connections_list":
        return connections;
      case "device_detail":
        return detail();
      case "device_history_export":
        if (exportAnswer instanceof Error) throw { code: exportAnswer.name, message: exportAnswer.message };
        return exportAnswer;
      default:
        return null;
    }
  });
  return calls;
}

describe("device page", () => {
  it("shows the OTA record and why the device failed", async () => {
    backend();
    renderApp(<DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />);
    expect(await screen.findByTestId("current-version")).toHaveTextContent("1.4.2");
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("sensor-001");
    expect(screen.getByTestId("current-version")).toHaveTextContent("1.4.2");
    expect(screen.getByTestId("target-version")).toHaveTextContent("2.0.0");
    const reason = screen.getByTestId("failure-reason");
    expect(reason).toHaveTextContent("Why it failed: INSTALL_ERROR");
    expect(reason).toHaveTextContent("Not enough memory (required: 1024MB, available: 512MB).");
    // Rollout and profile by name, the rollout as a link; ids stay in the tooltips.
    const rollout = screen.getByRole("link", { name: "temp-sensor 2.0.0" });
    expect(rollout).toHaveAttribute("href", "#/rollouts/rol_9");
    expect(rollout).toHaveAttribute("title", "rol_9");
    expect(screen.getByTestId("device-profile")).toHaveTextContent("Greenhouse sensors");
    expect(screen.getByTestId("device-profile")).not.toHaveTextContent("prof_1");
    expect(screen.getByTestId("device-contact")).toHaveTextContent("No contact since the server started");
  });

  it("says until when the device's download URL works, and nothing without one", async () => {
    mockIPC((cmd) => {
      if (cmd === "connections_list") return connections;
      if (cmd === "device_detail") return detail({ download_url_expires_at: "2026-12-07T15:00:00Z" });
      return null;
    });
    const { unmount } = renderApp(
      <DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />,
    );
    const expiry = await screen.findByTestId("download-url-expiry");
    expect(expiry).toHaveTextContent(/^valid until 2026-12-07 \d\d:00$/);
    unmount();
    clearMocks();
    backend();
    renderApp(<DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />);
    await screen.findByTestId("current-version");
    expect(screen.queryByTestId("download-url-expiry")).toBeNull();
  });

  it("says whether the device is online from its last contact", async () => {
    const seen = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    for (const [msAgo, words] of [
      [20_000, "Online · last contact just now"],
      [3.5 * 60_000, "Online · last contact 3 min ago"],
      [42.5 * 60_000, "Offline · last contact 42 min ago"],
    ] as const) {
      mockIPC((cmd) => {
        if (cmd === "connections_list") return connections;
        if (cmd === "device_detail") return detail({ device: { ...detail().device, last_seen_at: seen(msAgo) } });
        return null;
      });
      const { unmount } = renderApp(<DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />);
      expect(await screen.findByTestId("device-contact")).toHaveTextContent(words);
      unmount();
    }
    // From the cached copy only the last contact is known, not whether it is online now.
    mockIPC((cmd) => {
      if (cmd === "connections_list") return connections;
      if (cmd === "device_detail")
        return detail({
          fresh: false,
          offline_reason: "cannot reach the server",
          device: { ...detail().device, last_seen_at: seen(20_000) },
        });
      return null;
    });
    renderApp(<DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />);
    expect(await screen.findByTestId("device-contact")).toHaveTextContent("Last contact just now (cached)");
  });

  it("names the device's agent and version only (its last contact is the Contact line's)", async () => {
    const seen = new Date(Date.now() - 2.5 * 60_000).toISOString();
    mockIPC((cmd) => {
      if (cmd === "connections_list") return connections;
      if (cmd === "device_detail")
        return detail({ device: { ...detail().device, last_seen_at: seen, user_agent: "airlift-agent/0.1.0" } });
      return null;
    });
    const { unmount } = renderApp(
      <DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />,
    );
    const agent = await screen.findByTestId("device-agent");
    expect(agent).toHaveTextContent(/^airlift-agent 0\.1\.0$/);
    expect(agent).toHaveAttribute("title", "airlift-agent/0.1.0");
    expect(screen.getByTestId("device-contact")).toHaveTextContent("last contact 2 min ago");
    unmount();
    clearMocks();
    // No contact since the server started (the agent kept from before): the agent alone.
    mockIPC((cmd) => {
      if (cmd === "connections_list") return connections;
      if (cmd === "device_detail") return detail({ device: { ...detail().device, user_agent: "airlift-sim/0.1.0" } });
      return null;
    });
    const again = renderApp(<DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />);
    expect(await screen.findByTestId("device-agent")).toHaveTextContent(/^airlift-sim 0\.1\.0$/);
    again.unmount();
    clearMocks();
    backend();
    renderApp(<DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />);
    expect(await screen.findByTestId("device-agent")).toHaveTextContent("Not known");
  });

  it("reads an agent's name and version from its User-Agent", () => {
    expect(agentLabel("airlift-agent/0.1.0")).toBe("airlift-agent 0.1.0");
    expect(agentLabel(" Mozilla/5.0 (X11; Linux) ")).toBe("Mozilla 5.0");
    expect(agentLabel("curl")).toBe("curl");
    expect(agentLabel("odd/")).toBe("odd/");
  });

  it("falls back to the ids when the names are not cached", async () => {
    mockIPC((cmd) => {
      if (cmd === "connections_list") return connections;
      if (cmd === "device_detail")
        return detail({ profile_name: null, rollout: { ...detail().rollout!, label: null } });
      return null;
    });
    renderApp(<DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />);
    expect(await screen.findByRole("link", { name: "rol_9" })).toHaveAttribute("href", "#/rollouts/rol_9");
    expect(screen.getByTestId("device-profile")).toHaveTextContent("prof_1");
  });

  it("renders every history entry newest first with its message and tone", async () => {
    backend();
    renderApp(<DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />);
    const items = await screen.findAllByTestId("timeline-entry");
    expect(items.map((i) => i.getAttribute("data-kind"))).toEqual([
      "report",
      "report",
      "command_acked",
      "command",
      "assigned",
      "version_changed",
    ]);
    expect(items[0]).toHaveClass("tl-fail");
    expect(within(items[0]).getByText("Reported INSTALL_ERROR")).toBeInTheDocument();
    expect(items[0]).toHaveTextContent("Not enough memory (required: 1024MB, available: 512MB).");
    expect(items[1]).toHaveClass("tl-step");
    expect(items[1]).toHaveTextContent("75%");
    expect(items[3]).toHaveTextContent("Update command sent: install version 2.0.0");
    expect(items[5]).toHaveClass("tl-ok");
    expect(items[5]).toHaveTextContent("Version changed to 1.4.2");
    expect(screen.getByRole("heading", { name: /Update history/ })).toHaveTextContent("6 events");
  });

  it("exports the history as CSV and says where it went", async () => {
    const calls = backend();
    renderApp(<DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />);
    await screen.findAllByTestId("timeline-entry");
    fireEvent.click(screen.getByRole("button", { name: "Export CSV" }));
    expect(await screen.findByTestId("export-done")).toHaveTextContent("/home/me/history-dev_01abc.csv");
    expect(calls.find((c) => c.cmd === "device_history_export")?.args).toMatchObject({ id: "dev_01abc" });
  });

  it("shows an export failure with its code", async () => {
    const err = new Error("could not save the CSV: permission denied");
    err.name = "IO";
    backend(err);
    renderApp(<DevicesScreen deviceId="dev_01abc" navigate={() => {}} onOpenSettings={() => {}} />);
    await screen.findAllByTestId("timeline-entry");
    fireEvent.click(screen.getByRole("button", { name: "Export CSV" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("permission denied");
  });

  it("goes back to the search", async () => {
    backend();
    const went: string[] = [];
    renderApp(<DevicesScreen deviceId="dev_01abc" navigate={(h) => went.push(h)} onOpenSettings={() => {}} />);
    fireEvent.click(await screen.findByRole("button", { name: "← All devices" }));
    expect(went).toEqual(["#/devices"]);
  });
});

describe("describeEntry", () => {
  it("words rollback commands, time-outs and unknown kinds", () => {
    expect(describeEntry(entry({ kind: "command", status: "ota_rollback", package_version: "1.4.2" })).title).toBe(
      "Rollback command sent: install version 1.4.2",
    );
    const timedOut = describeEntry(entry({ kind: "timed_out", message: "no verdict before the device timeout" }));
    expect(timedOut.tone).toBe("fail");
    expect(timedOut.message).toBe("no verdict before the device timeout");
    expect(describeEntry(entry({ kind: "something_new" })).title).toBe("something_new");
    expect(describeEntry(entry({ status: "DOWNLOAD_ERROR" })).tone).toBe("fail");
    expect(describeEntry(entry({ status: "INSTALLED_VERSION" })).tone).toBe("ok");
  });
});

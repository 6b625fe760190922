import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { DeviceSearch } from "../../bindings/DeviceSearch";
import { connections } from "../../test/fixtures";
import { withLayout } from "../../test/layout";
import { renderApp } from "../../test/render";
import { DevicesScreen } from "./DevicesScreen";
import { device, overview } from "./fixtures";

afterEach(() => clearMocks());
withLayout();

/** A fake backend that records every search and answers from a small fleet. */
function backend() {
  const searches: DeviceSearch[] = [];
  const fleet = [
    device({ id: "dev_a1", name: "alpha-1", current_version: "2.0.0", target_version: "2.0.0", ota_status: "completed" }),
    device({ id: "dev_a2", name: "alpha-2" }),
    device({ id: "dev_b1", name: "beta-1", current_version: "1.4.2", target_version: null, ota_status: "idle", progress: null }),
  ];
  mockIPC((cmd, args) => {
    switch (cmd) {
      case "connections_list":
        return connections;
      case "devices_overview":
      case "devices_refresh":
        return overview();
      case "devices_search": {
        const search = (args as { search: DeviceSearch }).search;
        searches.push(search);
        const items = fleet.filter(
          (d) =>
            (d.id.startsWith(search.text) || d.name.startsWith(search.text)) &&
            (!search.version || d.current_version === search.version) &&
            (!search.state || d.ota_status === search.state),
        );
        return { items, next: null };
      }
      default:
        return null;
    }
  });
  return searches;
}

describe("device search", () => {
  it("lists the cached fleet with versions and OTA status", async () => {
    backend();
    renderApp(<DevicesScreen deviceId={null} navigate={() => {}} onOpenSettings={() => {}} />);
    const rows = await screen.findAllByTestId("device-row");
    expect(rows).toHaveLength(3);
    expect(within(rows[1]).getByText("dev_a2")).toBeInTheDocument();
    expect(within(rows[1]).getByTestId("ota-status")).toHaveTextContent("Failed");
    expect(screen.getByTestId("device-count")).toHaveTextContent("120,000 devices");
  });

  it("searches by any part of the id or name, version and status, and offers the counts", async () => {
    const searches = backend();
    renderApp(<DevicesScreen deviceId={null} navigate={() => {}} onOpenSettings={() => {}} />);
    await screen.findAllByTestId("device-row");

    fireEvent.change(screen.getByRole("searchbox", { name: "Search devices" }), { target: { value: "dev_a" } });
    await waitFor(() => expect(screen.getAllByTestId("device-row")).toHaveLength(2));
    expect(searches.at(-1)).toMatchObject({ text: "dev_a", version: null, state: null });

    const version = screen.getByRole("combobox", { name: "Firmware version" });
    expect(within(version).getByRole("option", { name: "2.0.0 (20,000)" })).toBeInTheDocument();
    fireEvent.change(version, { target: { value: "2.0.0" } });
    await waitFor(() => expect(screen.getAllByTestId("device-row")).toHaveLength(1));
    expect(searches.at(-1)).toMatchObject({ text: "dev_a", version: "2.0.0" });
    expect(screen.getByTestId("device-count")).toHaveTextContent("1 matching of 120,000 devices");

    const state = screen.getByRole("combobox", { name: "OTA status" });
    expect(within(state).getByRole("option", { name: "Failed (10,000)" })).toBeInTheDocument();
    fireEvent.change(state, { target: { value: "failed" } });
    expect(await screen.findByTestId("no-match")).toBeInTheDocument();
    expect(searches.at(-1)).toMatchObject({ text: "dev_a", version: "2.0.0", state: "failed" });

    fireEvent.click(screen.getByRole("button", { name: "Clear" }));
    await waitFor(() => expect(screen.getAllByTestId("device-row")).toHaveLength(3));
  });

  it("opens a device with the mouse or the keyboard", async () => {
    backend();
    const opened: string[] = [];
    renderApp(<DevicesScreen deviceId={null} navigate={(h) => opened.push(h)} onOpenSettings={() => {}} />);
    const rows = await screen.findAllByTestId("device-row");
    fireEvent.click(rows[0]);
    fireEvent.keyDown(rows[2], { key: "Enter" });
    expect(opened).toEqual(["#/devices/dev_a1", "#/devices/dev_b1"]);
  });

  it("says when it shows the offline copy", async () => {
    mockIPC((cmd) => {
      if (cmd === "connections_list") return connections;
      if (cmd === "devices_overview") return overview({ fresh: false });
      if (cmd === "devices_refresh")
        return overview({ fresh: false, offline_reason: "cannot reach http://127.0.0.1:9" });
      if (cmd === "devices_search") return { items: [device()], next: null };
      return null;
    });
    renderApp(<DevicesScreen deviceId={null} navigate={() => {}} onOpenSettings={() => {}} />);
    expect(await screen.findByTestId("devices-offline")).toHaveTextContent("cannot reach http://127.0.0.1:9");
  });
});

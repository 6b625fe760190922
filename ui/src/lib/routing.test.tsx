import { act, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../App";
import type { AppEvent } from "../bindings/AppEvent";
import { detail } from "../screens/devices/fixtures";
import { catalog, connections } from "../test/fixtures";
import { renderApp } from "../test/render";
import { parseRoute, routeHash } from "./route";

afterEach(() => clearMocks());

/** The backend; returns a function that pushes an AppEvent through the UI's subscription. */
function backend() {
  let push: ((e: AppEvent) => void) | null = null;
  const opened: string[] = [];
  const calls: string[] = [];
  mockIPC((cmd, args) => {
    calls.push(cmd);
    if (cmd === "rollout_detail") opened.push((args as { id: string }).id);
    switch (cmd) {
      case "app_info":
        return { name: "Airlift", version: "1.0.0" };
      case "connections_list":
        return connections;
      case "catalog_cached":
      case "catalog_refresh":
        return catalog();
      case "device_detail":
        return detail();
      case "app_events_subscribe":
        push = (args as { onEvent: { onmessage: (e: AppEvent) => void } }).onEvent.onmessage;
        return null;
      default:
        return null;
    }
  });
  return {
    subscribed: () => push !== null,
    opened,
    calls,
    push: (e: AppEvent) => push?.(e),
  };
}

describe("routes", () => {
  it("parse and print section and id", () => {
    expect(parseRoute("#/devices/dev%2F1")).toEqual({ section: "devices", id: "dev/1" });
    expect(parseRoute("#/rollouts")).toEqual({ section: "rollouts", id: null });
    expect(parseRoute("")).toEqual({ section: "dashboard", id: null });
    expect(parseRoute("#/nowhere/x")).toEqual({ section: "dashboard", id: null });
    expect(parseRoute("#/catalog/pkg_1")).toEqual({ section: "catalog", id: "pkg_1" });
    expect(parseRoute("#/audit")).toEqual({ section: "audit", id: null });
    expect(routeHash("devices", "dev/1")).toBe("#/devices/dev%2F1");
  });

  it("a device link opens the device page", async () => {
    backend();
    window.location.hash = "#/devices/dev_01abc";
    renderApp(<App />);
    expect(await screen.findByTestId("current-version")).toHaveTextContent("1.4.2");
    expect(screen.getByRole("button", { name: "Devices" })).toHaveAttribute("aria-current", "page");
  });

  it("a click on an auto-pause notification opens the rollout", async () => {
    const events = backend();
    renderApp(<App />);
    await screen.findByText("v1.0.0");
    await waitFor(() => expect(events.subscribed()).toBe(true));
    act(() => events.push({ type: "open_rollout", rollout_id: "rol_7" }));
    await waitFor(() => expect(events.opened).toContain("rol_7"));
    expect(screen.getByRole("button", { name: "Rollouts" })).toHaveAttribute("aria-current", "page");
  });

  it("a rebuilt offline cache makes the screen fetch its data again", async () => {
    const events = backend();
    renderApp(<App />);
    await screen.findByText("v1.0.0");
    await waitFor(() => expect(events.subscribed()).toBe(true));
    await waitFor(() => expect(events.calls).toContain("catalog_refresh"));
    const before = events.calls.filter((c) => c.startsWith("catalog_")).length;
    act(() => events.push({ type: "cache_rebuilt", moved_to: "/data/cache.sqlite3.corrupt-1" }));
    await waitFor(() =>
      expect(events.calls.filter((c) => c.startsWith("catalog_")).length).toBeGreaterThan(before),
    );
  });
  it("a rollout event from the server refreshes an open device page; a progress tick does not", async () => {
    const events = backend();
    window.location.hash = "#/devices/dev_01abc";
    renderApp(<App />);
    expect(await screen.findByTestId("current-version")).toHaveTextContent("1.4.2");
    await waitFor(() => expect(events.subscribed()).toBe(true));
    const fetched = () => events.calls.filter((c) => c === "device_detail").length;
    await waitFor(() => expect(fetched()).toBeGreaterThanOrEqual(2)); // cached, then live
    const before = fetched();
    act(() => events.push({ type: "rollout_changed", rollout_id: "rol_7", kind: "progress", status: "active" }));
    await new Promise((r) => setTimeout(r, 150));
    expect(fetched()).toBe(before);
    act(() => events.push({ type: "rollout_changed", rollout_id: "rol_7", kind: "status", status: "paused" }));
    await waitFor(() => expect(fetched()).toBeGreaterThan(before));
  });
});

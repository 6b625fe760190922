import { act, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";
import { App } from "../App";
import { catalog } from "../test/fixtures";
import { renderApp } from "../test/render";

afterEach(() => clearMocks());

/** A backend with no connection yet; records which commands the UI called. */
function backend(startDemo: boolean, saved: number, demoStart: () => unknown = () => null) {
  const calls: string[] = [];
  let started = false;
  mockIPC((cmd) => {
    calls.push(cmd);
    switch (cmd) {
      case "app_info":
        return { name: "Airlift", version: "1.0.0", start_demo: startDemo };
      case "connections_list":
        return {
          connections: started
            ? [{ name: "Local demo fleet", url: "http://127.0.0.1:1", kind: "demo", active: true }]
            : Array.from({ length: saved }, (_, i) => ({
                name: `s${i}`,
                url: "http://x",
                kind: "saved",
                active: false,
              })),
          active: started ? "Local demo fleet" : null,
          demo_available: true,
        };
      case "demo_start": {
        const answer = demoStart();
        started = true;
        return answer;
      }
      case "catalog_cached":
      case "catalog_refresh":
        return catalog();
      default:
        return null;
    }
  });
  return calls;
}

describe("first launch from `cargo xtask run`", () => {
  it("starts the local demo fleet once when nothing is configured", async () => {
    const calls = backend(true, 0);
    renderApp(<App />);
    await waitFor(() => expect(calls).toContain("demo_start"));
    await waitFor(() =>
      expect(calls.filter((c) => c === "connections_list").length).toBeGreaterThan(1),
    );
    expect(calls.filter((c) => c === "demo_start")).toHaveLength(1);
  });

  it("leaves a configured app alone", async () => {
    const calls = backend(true, 1);
    renderApp(<App />);
    await screen.findByText("v1.0.0");
    // Time in which a start would have happened; the screens keep loading meanwhile, inside act.
    await act(() => new Promise((r) => setTimeout(r, 50)));
    expect(calls).not.toContain("demo_start");
  });

  it("does nothing unless asked", async () => {
    const calls = backend(false, 0);
    renderApp(<App />);
    await screen.findByText("v1.0.0");
    // Time in which a start would have happened; the screens keep loading meanwhile, inside act.
    await act(() => new Promise((r) => setTimeout(r, 50)));
    expect(calls).not.toContain("demo_start");
  });

  it("says so in the status bar when the demo fleet does not start", async () => {
    backend(true, 0, () => {
      throw { code: "UNAVAILABLE", message: "airlift-sim not found" };
    });
    renderApp(<App />);
    expect(await screen.findByTestId("status-notice")).toHaveTextContent(
      "The local demo fleet did not start",
    );
  });
});

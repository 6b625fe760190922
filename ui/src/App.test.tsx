import { fireEvent, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";
import { App } from "./App";
import { catalog, connections } from "./test/fixtures";
import { renderApp } from "./test/render";

afterEach(() => clearMocks());

function backend(over: Record<string, unknown> = {}) {
  const answers: Record<string, unknown> = {
    app_info: { name: "Airlift", version: "9.8.7" },
    connections_list: connections,
    catalog_cached: catalog({ fresh: false }),
    catalog_refresh: catalog(),
    pending_upload: null,
    ...over,
  };
  mockIPC((cmd) => {
    const answer = answers[cmd];
    if (answer instanceof Error) throw { code: answer.name, message: answer.message };
    return answer ?? null;
  });
}

describe("App shell", () => {
  it("shows the version the Rust side reports", async () => {
    backend();
    renderApp(<App />);
    expect(await screen.findByText("v9.8.7")).toBeInTheDocument();
  });

  it("switches sections from the sidebar and marks the current one", async () => {
    backend();
    renderApp(<App />);
    await screen.findByText("v9.8.7");
    fireEvent.click(screen.getByRole("button", { name: "Rollouts" }));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Rollouts");
    expect(screen.getByRole("button", { name: "Rollouts" })).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("button", { name: "Catalog" })).not.toHaveAttribute("aria-current");
  });

  it("jumps between sections with Alt+number", async () => {
    backend();
    renderApp(<App />);
    await screen.findByText("v9.8.7");
    fireEvent.keyDown(window, { key: "4", altKey: true });
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Settings");
  });

  it("shows a command failure's message and code", async () => {
    mockIPC(() => {
      throw { code: "UNAVAILABLE", message: "The app backend is not ready." };
    });
    renderApp(<App />);
    const alerts = await screen.findAllByRole("alert");
    expect(alerts[0]).toHaveTextContent("The app backend is not ready.");
    expect(alerts[0]).toHaveTextContent("UNAVAILABLE");
  });

  it("lists packages and says online", async () => {
    backend();
    renderApp(<App />);
    expect(await screen.findByText("2 of 2 packages")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("connection-state")).toHaveTextContent("Online"));
  });

  it("offline, shows the cached catalog with its age", async () => {
    backend({ catalog_refresh: catalog({ fresh: false, offline_reason: "connection refused" }) });
    renderApp(<App />);
    // "Connecting…" first, until the refresh answers.
    await waitFor(() =>
      expect(screen.getByTestId("connection-state")).toHaveTextContent(/Offline · cached, (\d+ (min|h|days) old|just now)/),
    );
    expect(await screen.findByText("2 of 2 packages")).toBeInTheDocument();
  });

  it("filters by search and type", async () => {
    backend();
    renderApp(<App />);
    await screen.findByText("2 of 2 packages");
    fireEvent.change(screen.getByRole("searchbox", { name: "Search packages" }), { target: { value: "gateway" } });
    expect(screen.getByText("1 of 2 packages")).toBeInTheDocument();
    fireEvent.change(screen.getByRole("searchbox", { name: "Search packages" }), { target: { value: "" } });
    fireEvent.change(screen.getByRole("combobox", { name: "Package type" }), { target: { value: "fw" } });
    expect(screen.getByText("1 of 2 packages")).toBeInTheDocument();
  });

  it("offers Settings when there is no connection", async () => {
    backend({
      connections_list: { connections: [], active: null, demo_available: false },
      catalog_cached: catalog({ connection: null, packages: [], synced_at_ms: null }),
    });
    renderApp(<App />);
    expect(await screen.findByText("No fleet connected")).toBeInTheDocument();
    expect(screen.getByTestId("connection-status")).toHaveTextContent("No connection");
  });
});

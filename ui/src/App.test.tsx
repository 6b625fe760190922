import { fireEvent, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, vi } from "vitest";
import { App } from "./App";
import { dashboard } from "./screens/dashboard/fixtures";
import { catalog, connections } from "./test/fixtures";
import { renderApp } from "./test/render";

afterEach(() => clearMocks());
// Most of these look at the catalog; the start screen (the dashboard) has its own tests below.
beforeEach(() => {
  window.location.hash = "#/catalog";
});
// The dashboard's chart needs a canvas jsdom does not have.
vi.mock("./components/charts/Chart", () => ({ Chart: () => <figure data-testid="chart" /> }));

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
    if (answer instanceof Promise) return answer;
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
    fireEvent.keyDown(window, { key: "6", altKey: true });
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Settings");
    fireEvent.keyDown(window, { key: "1", altKey: true });
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Dashboard");
    // Alt+5 is the audit log, which this connection's role may not read: nothing happens.
    fireEvent.keyDown(window, { key: "5", altKey: true });
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Dashboard");
  });

  it("starts on the dashboard, painted from the cache", async () => {
    window.location.hash = "";
    backend({ dashboard_cached: dashboard({ fresh: false }), dashboard_refresh: new Promise(() => {}) });
    renderApp(<App />);
    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("Dashboard");
    expect(screen.getByRole("button", { name: "Dashboard" })).toHaveAttribute("aria-current", "page");
    expect(await screen.findAllByTestId("dashboard-rollout")).toHaveLength(2);
  });

  it("a package link (an audit entry's) opens the catalog with that package selected", async () => {
    // jsdom lays nothing out: give the virtualized table a viewport so it renders rows.
    const height = vi.spyOn(Element.prototype, "clientHeight", "get").mockReturnValue(600);
    window.location.hash = "#/catalog/pkg_2";
    backend();
    renderApp(<App />);
    await screen.findByText("2 of 2 packages");
    await waitFor(() => expect(document.querySelector(".row.selected")).toHaveTextContent("1.4.2"));
    height.mockRestore();
  });

  it("shows the Audit entry only to roles that may read the log", async () => {
    backend({ audit_access: { allowed: false, actions: [], object_types: [] } });
    const { unmount } = renderApp(<App />);
    await screen.findByText("v9.8.7");
    await waitFor(() => expect(document.querySelector(".shell")).toHaveAttribute("data-audit-access", "false"));
    expect(screen.queryByRole("button", { name: "Audit" })).toBeNull();
    unmount();
    backend({
      audit_access: { allowed: true, actions: ["rollout.pause"], object_types: ["rollout"] },
      audit_page: { entries: [], has_more: false, fresh: true, synced_at_ms: null, offline_reason: null },
    });
    renderApp(<App />);
    fireEvent.click(await screen.findByRole("button", { name: "Audit" }));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Audit log");
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

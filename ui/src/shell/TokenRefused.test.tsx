import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../App";
import type { AppEvent } from "../bindings/AppEvent";
import type { ConnectionList } from "../bindings/ConnectionList";
import { catalog, connections } from "../test/fixtures";
import { renderApp } from "../test/render";

afterEach(() => clearMocks());

const REFUSED = {
  connection: "prod",
  message:
    "the server refused this connection's token (GET /api/v1/events: this API token has been revoked): it was revoked or has expired.",
};

/** The backend: the connection list it answers can change, and AppEvents can be pushed. */
function backend(start: ConnectionList) {
  let list = start;
  let push: ((e: AppEvent) => void) | null = null;
  let refreshes = 0;
  mockIPC((cmd, args) => {
    switch (cmd) {
      case "app_info":
        return { name: "Airlift", version: "1.0.0" };
      case "connections_list":
        return list;
      case "catalog_cached":
        return catalog();
      case "catalog_refresh":
        refreshes += 1;
        // The server refuses the token: the screen keeps the cached catalog.
        if (list.token_refused) throw { code: "UNAUTHENTICATED", message: REFUSED.message };
        return catalog();
      case "app_events_subscribe":
        push = (args as { onEvent: { onmessage: (e: AppEvent) => void } }).onEvent.onmessage;
        return null;
      default:
        return null;
    }
  });
  return {
    subscribed: () => push !== null,
    refreshes: () => refreshes,
    refuse: () => {
      list = { ...list, token_refused: REFUSED };
      push?.({ type: "token_refused", ...REFUSED });
    },
  };
}

describe("a token the server refused", () => {
  it("is said in a banner, the connection status and the status bar, with what to do", async () => {
    const events = backend(connections);
    renderApp(<App />);
    await screen.findByText("v1.0.0");
    expect(screen.queryByTestId("token-refused-banner")).toBeNull();
    expect(screen.queryByTestId("token-refused-status")).toBeNull();
    await waitFor(() => expect(events.subscribed()).toBe(true));

    act(() => events.refuse());
    const banner = await screen.findByTestId("token-refused-banner");
    expect(banner).toHaveTextContent("The server no longer accepts the token of “prod”");
    expect(banner).toHaveTextContent("revoked or has expired");
    expect(banner).toHaveTextContent("Cached screens stay readable");
    expect(banner).toHaveTextContent("paste a new API token for this connection in Settings");
    expect(screen.getByTestId("token-refused-detail")).toHaveTextContent("this API token has been revoked");
    expect(screen.getByTestId("connection-state")).toHaveTextContent("Token revoked or expired");
    expect(screen.getByTestId("token-refused-status")).toHaveTextContent("Live updates stopped");
    expect(screen.getByTestId("status-bar")).not.toHaveTextContent("Ready");
    // The cached catalog is still shown.
    expect(screen.getByText("v1.0.0")).toBeInTheDocument();

    fireEvent.click(screen.getByRole("button", { name: "Open Settings" }));
    expect(screen.getByRole("button", { name: "Settings" })).toHaveAttribute("aria-current", "page");
  });

  it("is shown at start when the backend already knows it (a reload)", async () => {
    backend({ ...connections, token_refused: REFUSED });
    renderApp(<App />);
    expect(await screen.findByTestId("token-refused-banner")).toHaveTextContent("“prod”");
    expect(await screen.findByText("v1.0.0")).toBeInTheDocument();
  });

  it("is not repeated by a screen whose own request the server refused", async () => {
    window.history.replaceState(null, "", "#/catalog");
    const events = backend({ ...connections, token_refused: REFUSED });
    renderApp(<App />);
    await screen.findByTestId("token-refused-banner");
    await screen.findByText("2 of 2 packages");
    // The catalog's refresh was refused and has settled: the screen keeps its cached rows and
    // adds no error line of its own (the banner already says it).
    await waitFor(() => expect(events.refreshes()).toBeGreaterThan(0));
    await waitFor(() => expect(screen.queryByTestId("sync-activity")).toBeNull());
    expect(screen.getAllByRole("alert")).toHaveLength(1);
    expect(screen.queryByText("UNAUTHENTICATED")).toBeNull();
    expect(screen.getByText("2 of 2 packages")).toBeInTheDocument();
  });
});

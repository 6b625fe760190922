import { fireEvent, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";
import { renderApp } from "../../test/render";
import { SettingsScreen } from "./SettingsScreen";

afterEach(() => clearMocks());

/** A backend whose demo fleet runs until `demo_stop`, and starts again on `demo_start`. */
function backend() {
  const calls: string[] = [];
  let running = true;
  mockIPC((cmd) => {
    calls.push(cmd);
    switch (cmd) {
      case "demo_stop":
        running = false;
        return null;
      case "demo_start":
        running = true;
        return null;
      case "connections_list":
        return {
          connections: running
            ? [{ name: "Local demo fleet", url: "http://127.0.0.1:1", kind: "demo", active: true }]
            : [],
          active: running ? "Local demo fleet" : null,
          demo_available: true,
        };
      case "signing_keys":
        return [];
      default:
        return null;
    }
  });
  return calls;
}

describe("settings: the local demo fleet", () => {
  it("stops a running demo fleet and offers to start it again", async () => {
    const calls = backend();
    renderApp(<SettingsScreen />);
    fireEvent.click(await screen.findByRole("button", { name: "Stop local demo fleet" }));
    await screen.findByRole("button", { name: "Start local demo fleet" });
    expect(calls.filter((c) => c === "demo_stop")).toHaveLength(1);
    expect(screen.getByText("No connections yet.")).toBeInTheDocument();

    fireEvent.click(screen.getByRole("button", { name: "Start local demo fleet" }));
    await screen.findByRole("button", { name: "Stop local demo fleet" });
    await waitFor(() => expect(calls.filter((c) => c === "demo_start")).toHaveLength(1));
  });
});

describe("settings: a connection's custom CA", () => {
  it("shows that a custom CA is trusted, with its subject and expiry", async () => {
    mockIPC((cmd) => {
      if (cmd === "connections_list") {
        return {
          connections: [
            {
              name: "lab",
              url: "https://127.0.0.1:8443",
              kind: "saved",
              active: true,
              ca_cert: { subject: "CN=Lab CA,O=Example", not_after: "2027-03-01T00:00:00Z", expired: false, certificates: 2 },
            },
            { name: "prod", url: "https://fleet.example.com", kind: "saved", active: false, ca_cert: null },
          ],
          active: "lab",
          demo_available: false,
        };
      }
      return cmd === "signing_keys" ? [] : null;
    });
    renderApp(<SettingsScreen />);
    const ca = await screen.findByTestId("connection-ca");
    expect(ca).toHaveTextContent("Custom CA trusted: CN=Lab CA,O=Example, expires 2027-03-01 (+1 more in the bundle)");
    expect(screen.getAllByTestId("connection-ca")).toHaveLength(1);
  });
});

describe("settings: removing a saved connection", () => {
  it("asks first, and removes only on the second click", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "connections_list") {
        return {
          connections: [{ name: "Acme", url: "https://fleet.acme.test", kind: "saved", active: true }],
          active: "Acme",
          demo_available: false,
        };
      }
      if (cmd === "signing_keys") return [];
      return null;
    });
    renderApp(<SettingsScreen />);
    fireEvent.click(await screen.findByRole("button", { name: "Remove" }));
    const dialog = screen.getByRole("alertdialog", { name: "Remove Acme?" });
    expect(dialog).toHaveTextContent("Its API token is deleted from this computer");
    expect(calls).not.toContain("connection_remove");

    fireEvent.click(screen.getByRole("button", { name: "Keep it" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(calls).not.toContain("connection_remove");

    fireEvent.click(screen.getByRole("button", { name: "Remove" }));
    fireEvent.click(screen.getByRole("button", { name: "Remove Acme" }));
    await waitFor(() => expect(calls).toContain("connection_remove"));
  });
});

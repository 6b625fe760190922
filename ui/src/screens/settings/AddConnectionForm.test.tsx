import { fireEvent, render, screen } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, vi } from "vitest";
import { AddConnectionForm } from "./AddConnectionForm";

afterEach(() => clearMocks());

describe("add connection form", () => {
  it("validates before calling Rust", () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
    });
    render(<AddConnectionForm onSaved={() => {}} />);
    fireEvent.change(screen.getByLabelText("Server URL"), { target: { value: "fleet.example.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Save and connect" }));
    expect(screen.getByText(/Give the connection a name/)).toBeInTheDocument();
    expect(screen.getByText(/http\(s\) URL/)).toBeInTheDocument();
    expect(screen.getByText(/Paste an API token/)).toBeInTheDocument();
    expect(calls).toEqual([]);
  });

  it("takes a field's error away once that field is edited, and keeps the others", () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
    });
    render(<AddConnectionForm onSaved={() => {}} />);
    fireEvent.change(screen.getByLabelText("Server URL"), { target: { value: "fleet.example.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Save and connect" }));
    expect(screen.getByText(/Give the connection a name/)).toBeInTheDocument();
    expect(screen.getByText(/http\(s\) URL/)).toBeInTheDocument();
    expect(screen.getByText(/Paste an API token/)).toBeInTheDocument();

    // The URL corrected: its error goes at once; the name's and the token's stay until they
    // are edited or saved again.
    fireEvent.change(screen.getByLabelText("Server URL"), { target: { value: "https://fleet.example.com" } });
    expect(screen.queryByText(/http\(s\) URL/)).toBeNull();
    expect(screen.getByLabelText("Server URL")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByText(/Give the connection a name/)).toBeInTheDocument();
    expect(screen.getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText(/Paste an API token/)).toBeInTheDocument();

    // Edited, even if not yet right: the error was about the old value.
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: " " } });
    expect(screen.queryByText(/Give the connection a name/)).toBeNull();
    expect(screen.getByText(/Paste an API token/)).toBeInTheDocument();

    // The next save judges every field again.
    fireEvent.click(screen.getByRole("button", { name: "Save and connect" }));
    expect(screen.getByText(/Give the connection a name/)).toBeInTheDocument();
    expect(screen.queryByText(/http\(s\) URL/)).toBeNull();
    expect(screen.getByText(/Paste an API token/)).toBeInTheDocument();
    expect(calls).toEqual([]);
  });

  it("takes a CA's error away once the CA is edited", async () => {
    mockIPC((cmd) => {
      if (cmd === "ca_cert_describe") throw { code: "INVALID_ARGUMENT", message: "that is a private key, not a CA certificate" };
      return null;
    });
    render(<AddConnectionForm onSaved={() => {}} />);
    const field = screen.getByLabelText("CA certificate (optional)");
    fireEvent.change(field, { target: { value: "-----BEGIN PRIVATE KEY-----" } });
    fireEvent.blur(field);
    expect(await screen.findByText(/that is a private key/)).toBeInTheDocument();
    fireEvent.change(field, { target: { value: "-----BEGIN CERTIFICATE-----" } });
    expect(screen.queryByText(/that is a private key/)).toBeNull();
    expect(field).not.toHaveAttribute("aria-invalid");
  });

  it("shows a failed test's message and code", async () => {
    mockIPC((cmd) => {
      if (cmd === "connection_test") throw { code: "UNAUTHENTICATED", message: "the token was rejected" };
    });
    const onSaved = vi.fn();
    render(<AddConnectionForm onSaved={onSaved} />);
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "prod" } });
    fireEvent.change(screen.getByLabelText("Server URL"), { target: { value: "http://127.0.0.1:8080" } });
    fireEvent.change(screen.getByLabelText("API token"), { target: { value: "t" } });
    fireEvent.click(screen.getByRole("button", { name: "Test connection" }));
    expect(await screen.findByRole("status")).toHaveTextContent("the token was rejected (UNAUTHENTICATED)");
    expect(onSaved).not.toHaveBeenCalled();
  });

  it("takes a failed save's verdict away once any field is edited, the name too", async () => {
    mockIPC((cmd) => {
      if (cmd === "connection_add") throw { code: "ALREADY_EXISTS", message: "a connection named prod exists" };
      return null;
    });
    render(<AddConnectionForm onSaved={() => {}} />);
    const fill = () => {
      fireEvent.change(screen.getByLabelText("Name"), { target: { value: "prod" } });
      fireEvent.change(screen.getByLabelText("Server URL"), { target: { value: "https://fleet.example.com" } });
      fireEvent.change(screen.getByLabelText("API token"), { target: { value: "t" } });
    };
    const save = async () => {
      fireEvent.click(screen.getByRole("button", { name: "Save and connect" }));
      expect(await screen.findByRole("status")).toHaveTextContent("a connection named prod exists (ALREADY_EXISTS)");
    };
    fill();
    await save();
    // The verdict was about "prod": a new name makes it stale.
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "prod-eu" } });
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
    // So does any other field, the CA's too (typed or picked).
    for (const label of ["Server URL", "API token", "CA certificate (optional)"]) {
      fill();
      await save();
      fireEvent.change(screen.getByLabelText(label), { target: { value: "x" } });
      expect(screen.queryByRole("status")).not.toBeInTheDocument();
    }
    // Going back to the judged values does not bring it back: it was cleared.
    fireEvent.change(screen.getByLabelText("CA certificate (optional)"), { target: { value: "" } });
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
  });

  it("drops a verdict that arrives after the values it judged were edited", async () => {
    let answer: (v: unknown) => void = () => {};
    mockIPC((cmd) => {
      if (cmd === "connection_test") return new Promise((resolve) => (answer = resolve));
      return null;
    });
    render(<AddConnectionForm onSaved={() => {}} />);
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "prod" } });
    fireEvent.change(screen.getByLabelText("Server URL"), { target: { value: "https://fleet.example.com" } });
    fireEvent.change(screen.getByLabelText("API token"), { target: { value: "t" } });
    fireEvent.click(screen.getByRole("button", { name: "Test connection" }));
    await vi.waitFor(() => expect(screen.getByRole("button", { name: "Test connection" })).toBeDisabled());
    // Edited while the test runs: its answer is about the token before.
    fireEvent.change(screen.getByLabelText("API token"), { target: { value: "t2" } });
    answer({ packages_seen: 2 });
    await vi.waitFor(() => expect(screen.getByRole("button", { name: "Test connection" })).toBeEnabled());
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
  });

  it("trusts a picked CA: shows its subject and expiry, and sends it with the test and the save", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "pick_ca_cert") {
        return {
          pem,
          info: { subject: "CN=airlift test ca", not_after: "2027-03-01T00:00:00Z", expired: false, certificates: 1 },
        };
      }
      if (cmd === "connection_test") return { packages_seen: 2 };
      return null;
    });
    const onSaved = vi.fn();
    render(<AddConnectionForm onSaved={onSaved} />);
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "lab" } });
    fireEvent.change(screen.getByLabelText("Server URL"), { target: { value: "https://127.0.0.1:8443" } });
    fireEvent.change(screen.getByLabelText("API token"), { target: { value: "t" } });
    fireEvent.click(screen.getByRole("button", { name: "Choose CA file…" }));
    expect(await screen.findByTestId("ca-cert-chosen")).toHaveTextContent(
      "Trusts CN=airlift test ca, expires 2027-03-01",
    );
    expect(screen.getByLabelText("CA certificate (optional)")).toHaveValue(pem);
    fireEvent.click(screen.getByRole("button", { name: "Test connection" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Connected: 2 packages visible with this token.");
    expect(calls.find((c) => c.cmd === "connection_test")?.args).toMatchObject({ caCertPem: pem });
    // The verdict was about the values tested: editing one takes it away.
    fireEvent.change(screen.getByLabelText("API token"), { target: { value: "t2" } });
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("API token"), { target: { value: "t" } });
    fireEvent.click(screen.getByRole("button", { name: "Save and connect" }));
    await vi.waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls.find((c) => c.cmd === "connection_add")?.args).toMatchObject({
      connection: { name: "lab", url: "https://127.0.0.1:8443", token: "t", ca_cert_pem: pem },
    });
  });

  it("says why a pasted CA is not one, with its code", async () => {
    mockIPC((cmd) => {
      if (cmd === "ca_cert_describe") {
        throw { code: "INVALID_ARGUMENT", message: "that is a private key, not a CA certificate" };
      }
      return null;
    });
    render(<AddConnectionForm onSaved={() => {}} />);
    const field = screen.getByLabelText("CA certificate (optional)");
    fireEvent.change(field, { target: { value: "-----BEGIN PRIVATE KEY-----" } });
    fireEvent.blur(field);
    expect(await screen.findByText(/that is a private key, not a CA certificate \(INVALID_ARGUMENT\)/)).toBeInTheDocument();
  });
});

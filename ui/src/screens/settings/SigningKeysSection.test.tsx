import { fireEvent, screen, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";
import { connections } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { SigningKeysSection } from "./SigningKeysSection";

afterEach(() => clearMocks());

const ED = { key_id: "key-00000000000000ed", name: "release", algorithm: "ed25519", fingerprint: "ed".repeat(32), demo: false };
const EC = { key_id: "key-00000000000000ec", name: "legacy", algorithm: "ecdsa-p256-sha256", fingerprint: "ec".repeat(32), demo: false };
const DEMO = { key_id: "key-00000000000000de", name: "Demo release key", algorithm: "ed25519", fingerprint: "de".repeat(32), demo: true };

describe("signing keys in settings", () => {
  it("lists the keys with their registration and registers one", async () => {
    const registered = [{ fingerprint: ED.fingerprint, tenant_key_id: "key_srv_1" }];
    const calls: unknown[] = [];
    mockIPC((cmd, args) => {
      switch (cmd) {
        case "connections_list":
          return connections;
        case "signing_keys":
          return [ED, EC];
        case "signing_key_registrations":
          return { connection: "prod", registered: [...registered] };
        case "signing_key_register":
          calls.push(args);
          registered.push({ fingerprint: EC.fingerprint, tenant_key_id: "key_srv_2" });
          return registered[1];
      }
    });
    renderApp(<SigningKeysSection />);
    expect(await screen.findByTestId("key-registered-release")).toHaveTextContent("✓ Trusted by prod");
    const list = screen.getByTestId("signing-key-list");
    expect(within(list).getByText("Ed25519")).toBeInTheDocument();
    expect(within(list).getByText("ECDSA P-256")).toBeInTheDocument();
    expect(within(list).getByText("Not registered with prod")).toBeInTheDocument();

    fireEvent.click(screen.getByTestId("register-key-legacy"));
    expect(await screen.findByTestId("key-registered-legacy")).toHaveTextContent("✓ Trusted by prod");
    expect(calls).toEqual([{ keyId: EC.key_id }]);
  });

  it("marks the demo fleet's key, and only it", async () => {
    mockIPC((cmd) => {
      switch (cmd) {
        case "connections_list":
          return connections;
        case "signing_keys":
          return [DEMO, ED];
        case "signing_key_registrations":
          return { connection: "Local demo fleet", registered: [{ fingerprint: DEMO.fingerprint, tenant_key_id: "key_srv_d" }], signatures_required: true };
      }
    });
    renderApp(<SigningKeysSection />);
    expect(await screen.findByTestId("key-registered-Demo release key")).toHaveTextContent("✓ Trusted by Local demo fleet");
    const hints = screen.getAllByTestId("demo-key-hint");
    expect(hints).toHaveLength(1);
    expect(hints[0].closest("li")).toHaveTextContent("Demo release key");
  });

  it("says why a registration was refused", async () => {
    mockIPC((cmd) => {
      switch (cmd) {
        case "connections_list":
          return connections;
        case "signing_keys":
          return [EC];
        case "signing_key_registrations":
          return { connection: "prod", registered: [] };
        case "signing_key_register":
          throw { code: "PERMISSION_DENIED", message: "only an admin of the tenant can register signing keys" };
      }
    });
    renderApp(<SigningKeysSection />);
    fireEvent.click(await screen.findByTestId("register-key-legacy"));
    expect(await screen.findByRole("alert")).toHaveTextContent("only an admin of the tenant can register signing keys");
  });

  it("opens the create form, and shows the new key once created", async () => {
    const keys = [ED];
    mockIPC((cmd) => {
      switch (cmd) {
        case "connections_list":
          return connections;
        case "signing_keys":
          return [...keys];
        case "signing_key_registrations":
          throw { code: "OFFLINE", message: "cannot reach the server" };
        case "signing_key_create":
          keys.push(EC);
          return EC;
      }
    });
    renderApp(<SigningKeysSection />);
    expect(await screen.findByText("Registration unknown (offline)")).toBeInTheDocument();
    fireEvent.click(screen.getByTestId("create-key"));
    fireEvent.change(screen.getByLabelText("Key name"), { target: { value: "legacy" } });
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "a long enough passphrase" } });
    fireEvent.change(screen.getByLabelText("Repeat passphrase"), { target: { value: "a long enough passphrase" } });
    fireEvent.click(screen.getByTestId("create-key-submit"));
    expect(await screen.findByText(/Key “legacy” is stored on this computer/)).toBeInTheDocument();
    expect(await within(screen.getByTestId("signing-key-list")).findByText("legacy")).toBeInTheDocument();
  });
});

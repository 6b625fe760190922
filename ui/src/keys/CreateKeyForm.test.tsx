import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, vi } from "vitest";
import { CreateKeyForm } from "./CreateKeyForm";

afterEach(() => clearMocks());

const KEY = { key_id: "key-0123456789abcdef", name: "release-2026", algorithm: "ecdsa-p256-sha256", fingerprint: "ab".repeat(32) };

function fill(name: string, passphrase: string, confirm: string) {
  fireEvent.change(screen.getByLabelText("Key name"), { target: { value: name } });
  fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: passphrase } });
  fireEvent.change(screen.getByLabelText("Repeat passphrase"), { target: { value: confirm } });
}

describe("create key form", () => {
  it("checks name and passphrase next to their fields before calling Rust", () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
    });
    render(<CreateKeyForm existingNames={["release"]} onCreated={() => {}} onCancel={() => {}} />);
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(screen.getByLabelText("Key name")).toHaveAccessibleDescription(/Give the key a name/);
    expect(screen.getByLabelText("Passphrase")).toHaveAccessibleDescription(/never stored unencrypted/);

    fill(" Release ", "short", "short");
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(screen.getByLabelText("Key name")).toHaveAccessibleDescription(/already on this computer/);
    expect(screen.getByLabelText("Passphrase")).toHaveAccessibleDescription(/at least 12 characters/);

    fill("release-2026", "a long enough passphrase", "a long enough passphrase!");
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(screen.getByLabelText("Repeat passphrase")).toHaveAccessibleDescription("The two passphrases differ.");
    expect(screen.getByLabelText("Key name")).not.toHaveAttribute("aria-invalid");
    expect(calls).toEqual([]);
  });

  it("takes a field's error away once that field is edited, and keeps the others", () => {
    mockIPC(() => null);
    render(<CreateKeyForm existingNames={[]} onCreated={() => {}} onCancel={() => {}} />);
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(screen.getByLabelText("Key name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Passphrase")).toHaveAttribute("aria-invalid", "true");
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "short" } });
    expect(screen.getByLabelText("Passphrase")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByText(/never stored unencrypted/)).toBeNull();
    expect(screen.getByLabelText("Key name")).toHaveAccessibleDescription(/Give the key a name/);
  });

  it("creates the key with the chosen algorithm and hands it back", async () => {
    let sent: unknown = null;
    mockIPC((cmd, args) => {
      if (cmd === "signing_key_create") {
        sent = args;
        return KEY;
      }
    });
    const onCreated = vi.fn();
    render(<CreateKeyForm existingNames={[]} onCreated={onCreated} onCancel={() => {}} />);
    fill("release-2026", "a long enough passphrase", "a long enough passphrase");
    fireEvent.change(screen.getByLabelText("Algorithm"), { target: { value: "ecdsa-p256-sha256" } });
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(KEY, "a long enough passphrase"));
    expect(sent).toEqual({ key: { name: "release-2026", algorithm: "ecdsa-p256-sha256", passphrase: "a long enough passphrase" } });
  });

  it("puts a refusal from Rust next to its field, and other failures above the buttons", async () => {
    let answer: { code: string; message: string } = {
      code: "INVALID_ARGUMENT",
      message: "a key name must be 1 to 100 printable characters",
    };
    mockIPC((cmd) => {
      if (cmd === "signing_key_create") throw answer;
    });
    render(<CreateKeyForm existingNames={[]} onCreated={() => {}} onCancel={() => {}} />);
    fill("release-2026", "a long enough passphrase", "a long enough passphrase");
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    await waitFor(() => expect(screen.getByLabelText("Key name")).toHaveAccessibleDescription(/printable characters/));

    answer = { code: "IO", message: "could not write /home/me/.local/share/airlift/keys: disk full" };
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("disk full IO");
  });

  it("takes a failure above the buttons away once any field is edited", async () => {
    mockIPC((cmd) => {
      if (cmd === "signing_key_create") throw { code: "IO", message: "could not write the key store: disk full" };
    });
    render(<CreateKeyForm existingNames={[]} onCreated={() => {}} onCancel={() => {}} />);
    fill("release-2026", "a long enough passphrase", "a long enough passphrase");
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("disk full IO");
    // The failure was about the key as it was asked for.
    fireEvent.change(screen.getByLabelText("Algorithm"), { target: { value: "ecdsa-p256-sha256" } });
    expect(screen.queryByRole("alert")).toBeNull();
  });
});

import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, vi } from "vitest";
import { ImportKeyForm } from "./ImportKeyForm";

afterEach(() => clearMocks());

const KEY = { key_id: "key-0123456789abcdef", name: "ci-key", algorithm: "ed25519", fingerprint: "cd".repeat(32) };

function passphrases(p: string) {
  fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: p } });
  fireEvent.change(screen.getByLabelText("Repeat passphrase"), { target: { value: p } });
}

describe("import key form", () => {
  it("asks for a file before calling Rust", () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
    });
    render(<ImportKeyForm existingNames={[]} onImported={() => {}} onCancel={() => {}} />);
    fireEvent.change(screen.getByLabelText("Key name"), { target: { value: "ci" } });
    passphrases("a long enough passphrase");
    fireEvent.click(screen.getByRole("button", { name: "Import key" }));
    expect(screen.getByText("Choose the private key's PEM file.")).toBeInTheDocument();
    expect(calls).toEqual([]);
  });

  it("imports the picked file, named after it, with the file's passphrase", async () => {
    let sent: unknown = null;
    mockIPC((cmd, args) => {
      if (cmd === "pick_key_file") return "/home/me/keys/ci-key.pem";
      if (cmd === "signing_key_import") {
        sent = args;
        return KEY;
      }
    });
    const onImported = vi.fn();
    render(<ImportKeyForm existingNames={[]} onImported={onImported} onCancel={() => {}} />);
    fireEvent.click(screen.getByTestId("pick-key-file"));
    // The line is there from the start ("No file chosen"): wait for the picked file's name in it.
    await waitFor(() => expect(screen.getByTestId("picked-key-file")).toHaveTextContent("ci-key.pem"));
    expect(screen.getByLabelText("Key name")).toHaveValue("ci-key");
    fireEvent.change(screen.getByLabelText("File passphrase (if the file is encrypted)"), { target: { value: "export pass" } });
    passphrases("a long enough passphrase");
    fireEvent.click(screen.getByRole("button", { name: "Import key" }));
    await waitFor(() => expect(onImported).toHaveBeenCalledWith(KEY));
    expect(sent).toEqual({
      key: { name: "ci-key", path: "/home/me/keys/ci-key.pem", file_passphrase: "export pass", passphrase: "a long enough passphrase" },
    });
  });

  it("takes the file's and the name's errors away when a picked file fills them, and keeps the others", async () => {
    mockIPC((cmd) => (cmd === "pick_key_file" ? "/home/me/keys/ci-key.pem" : null));
    render(<ImportKeyForm existingNames={[]} onImported={() => {}} onCancel={() => {}} />);
    fireEvent.click(screen.getByRole("button", { name: "Import key" }));
    expect(screen.getByText("Choose the private key's PEM file.")).toBeInTheDocument();
    expect(screen.getByLabelText("Key name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Passphrase")).toHaveAttribute("aria-invalid", "true");
    fireEvent.click(screen.getByTestId("pick-key-file"));
    // The line is there from the start ("No file chosen"): wait for the picked file's name in it.
    await waitFor(() => expect(screen.getByTestId("picked-key-file")).toHaveTextContent("ci-key.pem"));
    expect(screen.queryByText("Choose the private key's PEM file.")).toBeNull();
    expect(screen.getByLabelText("Key name")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByLabelText("Passphrase")).toHaveAttribute("aria-invalid", "true");
  });

  it("shows a wrong file passphrase and a file that is not a key next to their fields", async () => {
    let answer = { code: "WRONG_PASSPHRASE", message: "the passphrase does not unlock this key; check it and try again" };
    mockIPC((cmd) => {
      if (cmd === "pick_key_file") return "/tmp/k.pem";
      if (cmd === "signing_key_import") throw answer;
    });
    render(<ImportKeyForm existingNames={[]} onImported={() => {}} onCancel={() => {}} />);
    fireEvent.click(screen.getByTestId("pick-key-file"));
    await screen.findByText("k.pem");
    passphrases("a long enough passphrase");
    fireEvent.click(screen.getByRole("button", { name: "Import key" }));
    await waitFor(() =>
      expect(screen.getByLabelText("File passphrase (if the file is encrypted)")).toHaveAccessibleDescription(/does not unlock this key/),
    );

    answer = { code: "INVALID_ARGUMENT", message: "the key must be a P-256 or Ed25519 private key in PEM" };
    fireEvent.click(screen.getByRole("button", { name: "Import key" }));
    expect(await screen.findByText(/must be a P-256 or Ed25519 private key/)).toHaveAttribute("id", "ike-path");
  });

  it("takes a failure above the buttons away once any field is edited", async () => {
    mockIPC((cmd) => {
      if (cmd === "pick_key_file") return "/tmp/k.pem";
      if (cmd === "signing_key_import") throw { code: "INTERNAL", message: "the key store is locked by another process" };
    });
    render(<ImportKeyForm existingNames={[]} onImported={() => {}} onCancel={() => {}} />);
    fireEvent.click(screen.getByTestId("pick-key-file"));
    await screen.findByText("k.pem");
    passphrases("a long enough passphrase");
    fireEvent.click(screen.getByRole("button", { name: "Import key" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("locked by another process INTERNAL");
    fireEvent.change(screen.getByLabelText("Key name"), { target: { value: "k2" } });
    expect(screen.queryByRole("alert")).toBeNull();
  });
});

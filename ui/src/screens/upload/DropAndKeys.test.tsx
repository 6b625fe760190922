import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { useEffect } from "react";
import { afterEach } from "vitest";
import { renderApp } from "../../test/render";
import { UploadWizard } from "./UploadWizard";
import { useUpload } from "./UploadProvider";

afterEach(() => clearMocks());

const SHA = "e".repeat(64);

function Opened() {
  const u = useUpload();
  useEffect(() => u.openWizard(), []); // eslint-disable-line react-hooks/exhaustive-deps
  return <UploadWizard onShowPackage={() => {}} />;
}

/** A backend whose commands are recorded; events (the webview's drag-drop) are mocked too. */
function backend(extra: (cmd: string, args: unknown) => unknown = () => undefined) {
  const calls: { cmd: string; args: unknown }[] = [];
  mockWindows("main");
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args });
      const answer = extra(cmd, args);
      if (answer !== undefined) return answer;
      switch (cmd) {
        case "hash_file": {
          const path = (args as { path: string }).path;
          return { path, file_name: path.split("/").pop(), size_bytes: 4096, sha256: SHA };
        }
        case "signing_keys":
          return [];
        default:
          return null;
      }
    },
    { shouldMockEvents: true },
  );
  return calls;
}

async function dragged(event: string, payload: unknown) {
  await act(async () => {
    await emit(event, payload);
  });
}

describe("dropping a file on the upload wizard", () => {
  it("highlights the drop target while dragging and hashes the dropped file's real path", async () => {
    const calls = backend();
    renderApp(<Opened />);
    const zone = await screen.findByTestId("drop-zone");
    // The listener registers asynchronously; wait until a drag reaches it.
    await waitFor(async () => {
      await dragged("tauri://drag-enter", { paths: ["/builds/fw-3.0.0.bin"], position: { x: 10, y: 10 } });
      expect(zone).toHaveClass("dragging");
    });
    expect(screen.getByRole("heading", { name: "Drop the build to check it" })).toBeInTheDocument();
    await dragged("tauri://drag-leave", null);
    expect(zone).not.toHaveClass("dragging");

    await dragged("tauri://drag-enter", { paths: ["/builds/fw-3.0.0.bin"], position: { x: 10, y: 10 } });
    await dragged("tauri://drag-drop", { paths: ["/builds/fw-3.0.0.bin"], position: { x: 10, y: 10 } });
    expect(await screen.findByTestId("file-sha256")).toHaveTextContent(SHA);
    expect(screen.getByTestId("picked-file")).toHaveTextContent("fw-3.0.0.bin");
    const hashed = calls.find((c) => c.cmd === "hash_file");
    expect((hashed?.args as { path: string }).path).toBe("/builds/fw-3.0.0.bin");
    expect(calls.some((c) => c.cmd === "pick_file")).toBe(false);
  });

  it("refuses several files at once with a sentence, and hashes nothing", async () => {
    const calls = backend();
    renderApp(<Opened />);
    await screen.findByTestId("drop-zone");
    await waitFor(async () => {
      await dragged("tauri://drag-drop", { paths: ["/builds/a.bin", "/builds/b.bin"], position: { x: 1, y: 1 } });
      expect(screen.getByRole("alert")).toHaveTextContent("Drop one file at a time");
    });
    expect(calls.some((c) => c.cmd === "hash_file")).toBe(false);
  });
});

describe("signing step", () => {
  async function toSigning() {
    fireEvent.click(screen.getByTestId("choose-file"));
    await screen.findByTestId("file-sha256");
    fireEvent.change(screen.getByLabelText("Version"), { target: { value: "3.0.0" } });
    fireEvent.change(screen.getByLabelText("Device type"), { target: { value: "temp-sensor" } });
    fireEvent.change(screen.getByLabelText("Minimum installed version"), { target: { value: "1.0.0" } });
    fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
  }

  it("offers to create a key when none exists, then signs with it", async () => {
    const NEW = { key_id: "key-0123456789abcdef", name: "release-2026", algorithm: "ed25519", fingerprint: "ab".repeat(32) };
    const keys: (typeof NEW)[] = [];
    let uploaded: { request: { key_id: string | null; passphrase?: string } } | null = null;
    backend((cmd, args) => {
      switch (cmd) {
        case "pick_file":
          return "/builds/fw.bin";
        case "signing_keys":
          return [...keys];
        case "signing_key_create":
          keys.push(NEW);
          return NEW;
        case "signing_key_registrations":
          return { connection: "prod", registered: [{ fingerprint: NEW.fingerprint, tenant_key_id: "key_srv" }] };
        case "connections_list":
          return { connections: [], active: "prod", demo_available: false };
        case "upload_package":
          uploaded = args as typeof uploaded;
          throw { code: "INTERNAL", message: "stop here" };
      }
    });
    renderApp(<Opened />);
    await toSigning();
    expect(await screen.findByTestId("no-keys")).toHaveTextContent("No signing keys on this computer yet.");
    fireEvent.click(screen.getByTestId("wizard-create-key"));
    fireEvent.change(screen.getByLabelText("Key name"), { target: { value: "release-2026" } });
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "a long enough passphrase" } });
    fireEvent.change(screen.getByLabelText("Repeat passphrase"), { target: { value: "a long enough passphrase" } });
    fireEvent.click(screen.getByTestId("create-key-submit"));

    const radio = await screen.findByTestId("key-release-2026");
    expect(radio).toBeChecked();
    expect(await screen.findByText("✓ Trusted by prod")).toBeInTheDocument();
    expect(screen.getByLabelText("Passphrase")).toHaveValue("a long enough passphrase");
    fireEvent.click(screen.getByTestId("start-upload"));
    await screen.findByTestId("upload-error");
    expect(uploaded!.request.key_id).toBe(NEW.key_id);
    expect(uploaded!.request.passphrase).toBe("a long enough passphrase");
  });
});

describe("stopping an upload", () => {
  it("Cancel upload ends on a cancelled result, not a paused upload", async () => {
    let reject: ((e: unknown) => void) | null = null;
    const calls = backend((cmd) => {
      switch (cmd) {
        case "pick_file":
          return "/builds/fw.bin";
        case "upload_package":
          return new Promise((_, r) => {
            reject = r;
          });
        case "upload_cancel":
          reject?.({ code: "CANCELLED", message: "the upload was cancelled" });
          return null;
      }
    });
    renderApp(<Opened />);
    fireEvent.click(screen.getByTestId("choose-file"));
    await screen.findByTestId("file-sha256");
    fireEvent.change(screen.getByLabelText("Version"), { target: { value: "3.0.0" } });
    fireEvent.change(screen.getByLabelText("Device type"), { target: { value: "temp-sensor" } });
    fireEvent.change(screen.getByLabelText("Minimum installed version"), { target: { value: "1.0.0" } });
    fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
    fireEvent.click(await screen.findByTestId("start-upload"));
    fireEvent.click(await screen.findByRole("button", { name: "Cancel upload" }));
    expect(await screen.findByRole("heading", { name: "Upload cancelled" })).toBeInTheDocument();
    expect(screen.getByTestId("upload-error")).toHaveTextContent("You cancelled the upload of fw.bin 3.0.0.");
    expect(calls.map((c) => c.cmd)).toContain("upload_cancel");
  });

  it("Pause keeps the upload and offers Resume", async () => {
    let reject: ((e: unknown) => void) | null = null;
    backend((cmd) => {
      switch (cmd) {
        case "pick_file":
          return "/builds/fw.bin";
        case "upload_package":
          return new Promise((_, r) => {
            reject = r;
          });
        case "upload_pause":
          reject?.({ code: "CANCELLED", message: "the upload was cancelled" });
          return null;
      }
    });
    renderApp(<Opened />);
    fireEvent.click(screen.getByTestId("choose-file"));
    await screen.findByTestId("file-sha256");
    fireEvent.change(screen.getByLabelText("Version"), { target: { value: "3.0.0" } });
    fireEvent.change(screen.getByLabelText("Device type"), { target: { value: "temp-sensor" } });
    fireEvent.change(screen.getByLabelText("Minimum installed version"), { target: { value: "1.0.0" } });
    fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
    fireEvent.click(await screen.findByTestId("start-upload"));
    fireEvent.click(await screen.findByRole("button", { name: "Pause" }));
    expect(await screen.findByTestId("upload-stage")).toHaveTextContent("Upload paused");
    expect(screen.getByRole("button", { name: "Resume" })).toBeInTheDocument();
  });
});

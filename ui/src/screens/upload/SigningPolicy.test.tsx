import { fireEvent, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { useEffect } from "react";
import { afterEach } from "vitest";
import { renderApp } from "../../test/render";
import { UploadWizard } from "./UploadWizard";
import { useUpload } from "./UploadProvider";

afterEach(() => clearMocks());

const SHA = "a".repeat(64);
const DEMO = { key_id: "key-demo", name: "Demo release key", algorithm: "ed25519", fingerprint: "d".repeat(64), demo: true };
const CI = { key_id: "key-ci", name: "ci-key", algorithm: "ed25519", fingerprint: "c".repeat(64), demo: false };

function Opened() {
  const u = useUpload();
  useEffect(() => u.openWizard(), []); // eslint-disable-line react-hooks/exhaustive-deps
  return <UploadWizard onShowPackage={() => {}} />;
}

interface Fleet {
  keys: (typeof CI)[];
  trusted: (typeof CI)[];
  required: boolean;
  upload?: (request: Record<string, unknown>) => unknown;
  register?: () => unknown;
}

/** A backend with the given keys and tenant policy; returns the upload requests it received. */
function backend(fleet: Fleet) {
  const uploads: Record<string, unknown>[] = [];
  mockWindows("main");
  mockIPC((cmd, args) => {
    switch (cmd) {
      case "pick_file":
        return "/builds/fw-3.0.0.bin";
      case "hash_file":
        return { path: "/builds/fw-3.0.0.bin", file_name: "fw-3.0.0.bin", size_bytes: 2048, sha256: SHA };
      case "connections_list":
        return { connections: [], active: "Lab fleet", demo_available: false };
      case "signing_keys":
        return fleet.keys;
      case "signing_key_registrations":
        return {
          connection: "Lab fleet",
          registered: fleet.trusted.map((k) => ({ fingerprint: k.fingerprint, tenant_key_id: `srv-${k.name}` })),
          signatures_required: fleet.required,
        };
      case "signing_key_register":
        return fleet.register?.() ?? null;
      case "upload_package": {
        const request = (args as { request: Record<string, unknown> }).request;
        uploads.push(request);
        return fleet.upload?.(request) ?? null;
      }
      default:
        return null;
    }
  });
  return uploads;
}

async function toSigning() {
  fireEvent.click(screen.getByTestId("choose-file"));
  await screen.findByTestId("file-sha256");
  fireEvent.change(screen.getByLabelText("Version"), { target: { value: "3.0.0" } });
  fireEvent.change(screen.getByLabelText("Device type"), { target: { value: "temp-sensor" } });
  fireEvent.change(screen.getByLabelText("Minimum installed version"), { target: { value: "1.0.0" } });
  fireEvent.change(screen.getByLabelText("Release notes"), { target: { value: "Fix drift." } });
  fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
  await screen.findByTestId("start-upload");
}

describe("signing step and the tenant's policy", () => {
  it("starts on the trusted demo key where signatures are required, and asks no passphrase for it", async () => {
    const uploads = backend({
      keys: [CI, DEMO],
      trusted: [DEMO],
      required: true,
      upload: () => {
        throw { code: "INTERNAL", message: "stop here" };
      },
    });
    renderApp(<Opened />);
    await toSigning();
    await waitFor(() => expect(screen.getByTestId("key-Demo release key")).toBeChecked());
    expect(screen.getByTestId("key-none")).toBeDisabled();
    expect(screen.getByTestId("demo-key-note")).toBeInTheDocument();
    expect(screen.queryByLabelText("Passphrase")).not.toBeInTheDocument();
    fireEvent.click(screen.getByTestId("start-upload"));
    await screen.findByTestId("upload-error");
    expect(uploads).toHaveLength(1);
    expect(uploads[0].key_id).toBe(DEMO.key_id);
  });

  it("stops an unregistered key before anything is sent, naming the key to register", async () => {
    const uploads = backend({ keys: [CI, DEMO], trusted: [DEMO], required: true });
    renderApp(<Opened />);
    await toSigning();
    await waitFor(() => expect(screen.getByTestId("key-Demo release key")).toBeChecked());
    fireEvent.click(screen.getByTestId("key-ci-key"));
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "a long enough passphrase" } });
    fireEvent.click(screen.getByTestId("start-upload"));
    const problem = await screen.findByRole("alert");
    expect(problem).toHaveTextContent("Lab fleet does not trust 'ci-key'");
    expect(problem).toHaveTextContent("register 'ci-key'");
    expect(uploads).toHaveLength(0);
    // The person's choice stays theirs: the default does not come back.
    expect(screen.getByTestId("key-ci-key")).toBeChecked();
  });

  it("stops an unsigned upload where signatures are required, and keeps unsigned where they are not", async () => {
    const uploads = backend({ keys: [CI], trusted: [], required: true });
    renderApp(<Opened />);
    await toSigning();
    await waitFor(() => expect(screen.getByTestId("signing-problem")).toHaveTextContent("requires signed packages"));
    expect(screen.getByTestId("key-none")).toBeChecked();
    fireEvent.click(screen.getByTestId("start-upload"));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Lab fleet requires signed packages: choose a key, or register 'ci-key' in Settings > Signing keys.",
    );
    expect(uploads).toHaveLength(0);
  });

  it("shows the backend's refusal on the signing step, and Fix and retry keeps every field", async () => {
    let answer: () => unknown = () => {
      throw { code: "FAILED_PRECONDITION", message: "signing: Lab fleet does not trust key 'ci-key'. Nothing was uploaded." };
    };
    const uploads = backend({ keys: [CI], trusted: [CI], required: false, upload: () => answer() });
    renderApp(<Opened />);
    await toSigning();
    fireEvent.click(await screen.findByTestId("key-ci-key"));
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "a long enough passphrase" } });
    fireEvent.click(screen.getByTestId("start-upload"));
    expect(await screen.findByRole("alert")).toHaveTextContent("Lab fleet does not trust key 'ci-key'. Nothing was uploaded.");
    expect(screen.getByRole("heading", { name: "Signing" })).toBeInTheDocument();

    // A refusal after the transfer ends on the result, whose "Fix and retry" keeps everything.
    answer = () => {
      throw { code: "SIGNATURE_INVALID", message: "the signature does not verify" };
    };
    fireEvent.click(screen.getByTestId("start-upload"));
    fireEvent.click(await screen.findByTestId("fix-and-retry"));
    expect(await screen.findByTestId("file-sha256")).toHaveTextContent(SHA);
    expect(screen.getByLabelText("Version")).toHaveValue("3.0.0");
    expect(screen.getByLabelText("Device type")).toHaveValue("temp-sensor");
    expect(screen.getByLabelText("Release notes")).toHaveValue("Fix drift.");
    fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
    expect(await screen.findByTestId("key-ci-key")).toBeChecked();
    expect(uploads).toHaveLength(2);
  });

  it("takes a wrong passphrase's error away once the passphrase is edited", async () => {
    backend({
      keys: [CI],
      trusted: [CI],
      required: false,
      upload: () => {
        throw { code: "WRONG_PASSPHRASE", message: "the passphrase does not unlock ci-key" };
      },
    });
    renderApp(<Opened />);
    await toSigning();
    fireEvent.click(await screen.findByTestId("key-ci-key"));
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "not the passphrase" } });
    fireEvent.click(screen.getByTestId("start-upload"));
    expect(await screen.findByText(/does not unlock ci-key/)).toBeInTheDocument();
    expect(screen.getByLabelText("Passphrase")).toHaveAttribute("aria-invalid", "true");
    // The answer was about the passphrase sent: typing another makes it stale.
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "the passphrase" } });
    expect(screen.queryByText(/does not unlock ci-key/)).toBeNull();
    expect(screen.getByLabelText("Passphrase")).not.toHaveAttribute("aria-invalid");
  });

  it("takes the missing passphrase's error away once one is typed", async () => {
    backend({ keys: [CI], trusted: [CI], required: false });
    renderApp(<Opened />);
    await toSigning();
    fireEvent.click(await screen.findByTestId("key-ci-key"));
    fireEvent.click(screen.getByTestId("start-upload"));
    expect(screen.getByText("Enter the key's passphrase.")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "a" } });
    expect(screen.queryByText("Enter the key's passphrase.")).toBeNull();
    expect(screen.getByLabelText("Passphrase")).not.toHaveAttribute("aria-invalid");
  });

  it("shows a refused registration under its own key only", async () => {
    const OPS = { ...CI, key_id: "key-ops", name: "ops-key", fingerprint: "e".repeat(64) };
    backend({
      keys: [CI, OPS],
      trusted: [],
      required: false,
      register: () => {
        throw { code: "PERMISSION_DENIED", message: "only an admin registers keys" };
      },
    });
    renderApp(<Opened />);
    await toSigning();
    fireEvent.click(await screen.findByTestId("key-ci-key"));
    fireEvent.click(await screen.findByTestId("register-key-ci-key"));
    expect(await screen.findByText(/only an admin registers keys/)).toBeInTheDocument();
    // The answer was about ci-key: another key has not been asked about.
    fireEvent.click(screen.getByTestId("key-ops-key"));
    expect(await screen.findByTestId("register-key-ops-key")).toBeInTheDocument();
    expect(screen.queryByText(/only an admin registers keys/)).toBeNull();
  });
});

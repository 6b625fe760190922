import { fireEvent, screen } from "@testing-library/react";
import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";
import { renderApp } from "../../test/render";
import { UploadWizard } from "./UploadWizard";
import { useUpload } from "./UploadProvider";
import { useEffect } from "react";

afterEach(() => clearMocks());

const SHA = "c".repeat(64);

function Opened() {
  const u = useUpload();
  useEffect(() => u.openWizard(), []); // eslint-disable-line react-hooks/exhaustive-deps
  return <UploadWizard onShowPackage={() => {}} />;
}

/** The wizard's commands; the window and its events (the drop listener) are mocked too. */
function backend(upload: () => unknown) {
  mockWindows("main");
  mockIPC(
    (cmd) => {
      switch (cmd) {
        case "pick_file":
          return "/builds/fw.bin";
        case "hash_file":
          return { path: "/builds/fw.bin", file_name: "fw.bin", size_bytes: 2048, sha256: SHA };
        case "signing_keys":
          return [];
        case "upload_package":
          return upload();
        default:
          return null;
      }
    },
    { shouldMockEvents: true },
  );
}

async function fillAndUpload() {
  fireEvent.click(screen.getByTestId("choose-file"));
  expect(await screen.findByTestId("file-sha256")).toHaveTextContent(SHA);
  fireEvent.change(screen.getByLabelText("Version"), { target: { value: "3.0.0" } });
  fireEvent.change(screen.getByLabelText("Device type"), { target: { value: "temp-sensor" } });
  fireEvent.change(screen.getByLabelText("Minimum installed version"), { target: { value: "1.0.0" } });
  fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
  fireEvent.click(await screen.findByTestId("start-upload"));
}

describe("upload wizard", () => {
  it("shows the server's checksum rejection as a clear error", async () => {
    backend(() => {
      throw { code: "VERIFICATION_FAILED", message: "sha256 mismatch: the artifact hashes to d…" };
    });
    renderApp(<Opened />);
    await fillAndUpload();
    const error = await screen.findByTestId("upload-error");
    expect(error).toHaveTextContent("VERIFICATION_FAILED");
    expect(error).toHaveTextContent("sha256 mismatch");
    expect(screen.getByRole("heading", { name: "The server rejected the upload" })).toBeInTheDocument();
  });

  it("puts a version conflict back on the version field", async () => {
    backend(() => {
      throw { code: "ALREADY_EXISTS", message: "package temp-sensor 3.0.0 already exists" };
    });
    renderApp(<Opened />);
    await fillAndUpload();
    expect(await screen.findByLabelText("Version")).toHaveAccessibleDescription(/already exists/);
    // The conflict was about 3.0.0: once the version is edited it goes.
    fireEvent.change(screen.getByLabelText("Version"), { target: { value: "3.0.1" } });
    expect(screen.queryByText(/already exists/)).toBeNull();
    expect(screen.getByLabelText("Version")).not.toHaveAttribute("aria-invalid");
  });

  it("reports the new package", async () => {
    backend(() => ({
      package: {
        id: "pkg_9", type: "fw", version: "3.0.0", device_type: "temp-sensor", min_version: "1.0.0",
        size_bytes: 2048, sha256: SHA, signature_status: "unsigned", created_at: "2026-11-23T10:00:00Z", release_notes: null,
      },
      checksum_verified: true,
      signature_verified_with: null,
      resumed: false,
    }));
    renderApp(<Opened />);
    await fillAndUpload();
    expect(await screen.findByTestId("upload-done")).toHaveTextContent("Package 3.0.0 is available");
    // The next step of a release: the rollout wizard, with this package already chosen.
    fireEvent.click(screen.getByTestId("start-rollout-of-upload"));
    expect(window.location.hash).toBe("#/rollouts/new/pkg_9");
    window.location.hash = "";
  });
});

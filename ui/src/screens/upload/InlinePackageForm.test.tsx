import { fireEvent, screen } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";
import { renderApp } from "../../test/render";
import { pkg } from "../../test/fixtures";
import { InlinePackageForm } from "./InlinePackageForm";

afterEach(() => clearMocks());

const SHA = "b".repeat(64);

/** The server refuses the package: the first file's size differs, the second was not checked. */
const REFUSED = {
  package: null,
  error: { code: "VERIFICATION_FAILED", message: "a.bin: the server read 2048 bytes, not 4096" },
  files: [{ state: "refused", message: "2048 bytes, not 4096" }, { state: "not_checked" }],
};

function refusingBackend(answer: unknown = REFUSED) {
  mockIPC((cmd) => {
    switch (cmd) {
      case "connections_list":
        return { connections: [], active: "Lab fleet", demo_available: false };
      case "signing_keys":
        return [];
      case "signing_key_registrations":
        return { connection: "Lab fleet", registered: [], signatures_required: false };
      case "inline_package_create":
        return answer;
      default:
        return null;
    }
  });
}

function fillUrlList() {
  fireEvent.change(screen.getByLabelText("Version"), { target: { value: "2.1.0" } });
  fireEvent.change(screen.getByLabelText("Device type"), { target: { value: "gateway" } });
  fireEvent.change(screen.getByLabelText("Minimum installed version"), { target: { value: "1.0.0" } });
  fireEvent.click(screen.getByTestId("add-file"));
  for (const [i, name, size] of [[1, "a.bin", "4096"], [2, "b.bin", "10"]] as const) {
    fireEvent.change(screen.getByLabelText(`File ${i} URL`), { target: { value: `https://builds.example.com/${name}` } });
    fireEvent.change(screen.getByLabelText(`File ${i} SHA-256`), { target: { value: SHA } });
    fireEvent.change(screen.getByLabelText(`File ${i} size in bytes`), { target: { value: size } });
  }
}

describe("inline package form", () => {
  it("takes the server's refusal and each file's verdict away once the package is edited", async () => {
    refusingBackend();
    renderApp(<InlinePackageForm kind="URL_LIST" onShowPackage={() => {}} onStartRollout={() => {}} />);
    fillUrlList();
    fireEvent.click(screen.getByTestId("create-inline-package"));
    expect(await screen.findByText(/the server read 2048 bytes/)).toBeInTheDocument();
    expect(screen.getAllByTestId("file-verdict").map((v) => v.textContent)).toEqual(["Refused: 2048 bytes, not 4096", "Not checked"]);

    // The first file removed: the verdicts were about the list as sent, and would now stand
    // beside the wrong rows.
    fireEvent.click(screen.getByRole("button", { name: "Remove file 1" }));
    expect(screen.queryByText(/the server read 2048 bytes/)).toBeNull();
    expect(screen.queryAllByTestId("file-verdict")).toEqual([]);
  });

  it("takes the refusal away when only the release notes change", async () => {
    refusingBackend();
    renderApp(<InlinePackageForm kind="URL_LIST" onShowPackage={() => {}} onStartRollout={() => {}} />);
    fillUrlList();
    fireEvent.click(screen.getByTestId("create-inline-package"));
    expect(await screen.findByText(/the server read 2048 bytes/)).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Release notes"), { target: { value: "Fix drift." } });
    expect(screen.queryByText(/the server read 2048 bytes/)).toBeNull();
    expect(screen.queryAllByTestId("file-verdict")).toEqual([]);
  });

  it("keeps a made package's result: it is a fact, not a verdict on what the form now holds", async () => {
    refusingBackend({
      package: pkg({ id: "pkg_7", version: "2.1.0", payload_type: "URL_LIST" }),
      error: null,
      files: [{ state: "verified" }, { state: "verified" }],
    });
    renderApp(<InlinePackageForm kind="URL_LIST" onShowPackage={() => {}} onStartRollout={() => {}} />);
    fillUrlList();
    fireEvent.click(screen.getByTestId("create-inline-package"));
    expect(await screen.findByTestId("inline-result")).toHaveTextContent("Package 2.1.0 (URL list) is available");
    fireEvent.change(screen.getByLabelText("Release notes"), { target: { value: "Fix drift." } });
    expect(screen.getByTestId("inline-result")).toBeInTheDocument();
    expect(screen.getAllByTestId("file-verdict").map((v) => v.textContent)).toEqual(["Verified", "Verified"]);
  });
});

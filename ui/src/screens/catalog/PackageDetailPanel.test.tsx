import { screen } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { PackageSummary } from "../../bindings/PackageSummary";
import { connections, pkg } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { PackageDetailPanel } from "./PackageDetailPanel";

afterEach(() => clearMocks());

function backend(p: PackageSummary) {
  mockIPC((cmd) => {
    if (cmd === "connections_list") return connections;
    if (cmd === "package_detail") return { package: p, rollouts: [] };
    return null;
  });
}

describe("package detail", () => {
  it("says where the package's bytes live, with a copy button", async () => {
    const key = `firmware/ten_1/2.0.0/${"ab".repeat(32)}.bin`;
    backend(pkg({ storage_key: key, stored_encrypted: true }));
    renderApp(<PackageDetailPanel id="pkg_1" onClose={() => {}} />);
    expect(await screen.findByTestId("detail-storage-key")).toHaveTextContent(key);
    expect(screen.getByRole("button", { name: "Copy storage key" })).toBeInTheDocument();
    expect(screen.getByTestId("detail-storage")).toHaveTextContent(/^Encrypted on the server/);
  });

  it("says the key is not known for a package cached before servers reported it", async () => {
    backend(pkg({ storage_key: null }));
    renderApp(<PackageDetailPanel id="pkg_1" onClose={() => {}} />);
    expect(await screen.findByTestId("detail-storage-key")).toHaveTextContent(/^Not known yet/);
    expect(screen.queryByRole("button", { name: "Copy storage key" })).toBeNull();
    expect(screen.getByTestId("detail-storage")).toHaveTextContent("Plain");
  });
});

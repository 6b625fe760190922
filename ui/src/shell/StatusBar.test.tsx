import { fireEvent, screen } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";
import { renderApp } from "../test/render";
import { App } from "../App";
import { catalog, connections } from "../test/fixtures";

afterEach(() => clearMocks());

describe("status bar", () => {
  it("offers to resume an upload interrupted by closing the app, and resumes it", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      switch (cmd) {
        case "app_info":
          return { name: "Airlift", version: "1.0.0" };
        case "connections_list":
          return connections;
        case "catalog_cached":
        case "catalog_refresh":
          return catalog();
        case "pending_upload":
          return {
            file_name: "fw.bin",
            size_bytes: 64 * 1024 * 1024,
            done_bytes: 32 * 1024 * 1024,
            request: {
              path: "/builds/fw.bin", sha256: "d".repeat(64), type: "fw", version: "3.1.0",
              device_type: "temp-sensor", min_version: "1.0.0", release_notes: "", key_id: null,
            },
          };
        case "upload_package":
          return new Promise(() => {}); // still running
        default:
          return null;
      }
    });
    renderApp(<App />);
    const pending = await screen.findByTestId("pending-upload");
    expect(pending).toHaveTextContent("Unfinished upload: fw.bin 3.1.0 (32.0 MiB of 64.0 MiB sent)");
    fireEvent.click(screen.getByRole("button", { name: "Resume" }));
    expect(await screen.findByTestId("upload-stage")).toHaveTextContent("Uploading");
    const upload = calls.find((c) => c.cmd === "upload_package");
    expect(upload?.args).toMatchObject({ request: { path: "/builds/fw.bin", version: "3.1.0", sha256: "d".repeat(64) } });
  });
});

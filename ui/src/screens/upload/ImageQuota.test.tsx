import { screen } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";
import { renderApp } from "../../test/render";
import { ImageQuota } from "./ImageQuota";

afterEach(() => clearMocks());

function backend(quota: { used: number; max: number } | null | Error) {
  mockIPC((cmd) => {
    switch (cmd) {
      case "connections_list":
        return { connections: [], active: "lab", demo_available: false };
      case "image_quota":
        if (quota instanceof Error) throw { code: "OFFLINE", message: quota.message };
        return quota;
      default:
        return null;
    }
  });
}

describe("the image quota under the drop target", () => {
  it("says how many of the fleet's images are used", async () => {
    backend({ used: 12, max: 1000 });
    renderApp(<ImageQuota />);
    const line = await screen.findByTestId("image-quota");
    expect(line).toHaveTextContent("Firmware images: 12 of 1,000 used");
    expect(line).not.toHaveClass("full");
    expect(line).not.toHaveRole("alert");
  });

  it("warns when nearly full and says what to do when full", async () => {
    backend({ used: 950, max: 1000 });
    const { unmount } = renderApp(<ImageQuota />);
    expect(await screen.findByTestId("image-quota")).toHaveClass("nearly-full");
    unmount();
    clearMocks();

    backend({ used: 1000, max: 1000 });
    renderApp(<ImageQuota />);
    const line = await screen.findByRole("alert");
    expect(line).toHaveClass("full");
    expect(line).toHaveTextContent("refuses new uploads until an image is deleted");
  });

  it("shows nothing when the server cannot be asked or has no quota", async () => {
    backend(new Error("the server is not reachable"));
    const { container, unmount } = renderApp(<ImageQuota />);
    await new Promise((r) => setTimeout(r, 50));
    expect(container).toBeEmptyDOMElement();
    unmount();
    clearMocks();
    backend(null);
    const second = renderApp(<ImageQuota />);
    await new Promise((r) => setTimeout(r, 50));
    expect(second.container).toBeEmptyDOMElement();
  });
});

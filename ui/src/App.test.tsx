import { render, screen, fireEvent } from "@testing-library/react";
import { mockIPC, clearMocks } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";
import { App } from "./App";

afterEach(() => clearMocks());

describe("App shell", () => {
  it("shows the version the Rust side reports", async () => {
    mockIPC((cmd) => (cmd === "app_info" ? { name: "Airlift", version: "9.8.7" } : null));
    render(<App />);
    expect(await screen.findByText("v9.8.7")).toBeInTheDocument();
  });

  it("switches sections from the sidebar and marks the current one", async () => {
    mockIPC(() => ({ name: "Airlift", version: "1.0.0" }));
    render(<App />);
    await screen.findByText("v1.0.0");
    fireEvent.click(screen.getByRole("button", { name: "Rollouts" }));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Rollouts");
    expect(screen.getByRole("button", { name: "Rollouts" })).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("button", { name: "Catalog" })).not.toHaveAttribute("aria-current");
  });

  it("shows a command failure's message and code", async () => {
    mockIPC(() => {
      throw { code: "UNAVAILABLE", message: "The app backend is not ready." };
    });
    render(<App />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The app backend is not ready.");
    expect(alert).toHaveTextContent("UNAVAILABLE");
  });
});

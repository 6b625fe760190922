import { fireEvent, render, screen } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, vi } from "vitest";
import { AddConnectionForm } from "./AddConnectionForm";

afterEach(() => clearMocks());

describe("add connection form", () => {
  it("validates before calling Rust", () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
    });
    render(<AddConnectionForm onSaved={() => {}} />);
    fireEvent.change(screen.getByLabelText("Server URL"), { target: { value: "fleet.example.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Save and connect" }));
    expect(screen.getByText(/Give the connection a name/)).toBeInTheDocument();
    expect(screen.getByText(/http\(s\) URL/)).toBeInTheDocument();
    expect(screen.getByText(/Paste an API token/)).toBeInTheDocument();
    expect(calls).toEqual([]);
  });

  it("shows a failed test's message and code", async () => {
    mockIPC((cmd) => {
      if (cmd === "connection_test") throw { code: "UNAUTHENTICATED", message: "the token was rejected" };
    });
    const onSaved = vi.fn();
    render(<AddConnectionForm onSaved={onSaved} />);
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "prod" } });
    fireEvent.change(screen.getByLabelText("Server URL"), { target: { value: "http://127.0.0.1:8080" } });
    fireEvent.change(screen.getByLabelText("API token"), { target: { value: "t" } });
    fireEvent.click(screen.getByRole("button", { name: "Test connection" }));
    expect(await screen.findByRole("status")).toHaveTextContent("the token was rejected (UNAUTHENTICATED)");
    expect(onSaved).not.toHaveBeenCalled();
  });
});

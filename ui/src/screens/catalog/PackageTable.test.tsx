import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { pkg } from "../../test/fixtures";
import { withLayout } from "../../test/layout";
import { PackageTable } from "./PackageTable";

withLayout();

const packages = ["1.0.0", "1.1.0", "2.0.0"].map((version, i) => pkg({ id: `pkg_${i}`, version }));

describe("package table", () => {
  it("marks the selected package, and a click or Enter selects another", () => {
    const onSelect = vi.fn();
    render(<PackageTable packages={packages} selected="pkg_1" onSelect={onSelect} />);
    const rows = screen.getAllByTestId("package-row");
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveAttribute("aria-selected", "true");
    expect(rows[1]).toHaveClass("row", "selected");
    expect(rows[0]).toHaveAttribute("aria-selected", "false");
    expect(rows[0]).not.toHaveClass("selected");

    fireEvent.click(rows[2]);
    fireEvent.keyDown(rows[0], { key: "Enter" });
    expect(onSelect.mock.calls).toEqual([["pkg_2"], ["pkg_0"]]);
  });

  it("moves between packages with the arrow keys, like the other tables", async () => {
    render(<PackageTable packages={packages} selected={null} onSelect={() => {}} />);
    const rows = screen.getAllByTestId("package-row");
    fireEvent.keyDown(rows[0], { key: "ArrowDown" });
    await waitFor(() => expect(document.activeElement).toBe(rows[1]));
  });
});

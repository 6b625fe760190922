import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { withLayout } from "../test/layout";
import { VirtualTable, type Paging } from "./VirtualTable";

withLayout();

interface Item {
  id: string;
  name: string;
}

const items = (n: number): Item[] => Array.from({ length: n }, (_, i) => ({ id: `i${i}`, name: `item ${i}` }));

function table(rows: Item[], paging: Partial<Paging> = {}, onOpen: (row: Item) => void = () => {}) {
  return render(
    <VirtualTable
      label="Items"
      className="item-table"
      rowClassName="item-row"
      columns={["Name", "Id"]}
      rows={rows}
      rowKey={(r) => r.id}
      rowAttributes={(r) => ({ className: r.id === "i1" ? "inert" : undefined, "data-testid": "item-row", "data-id": r.id })}
      cells={(r) => (
        <>
          <span role="gridcell">{r.name}</span>
          <span role="gridcell">{r.id}</span>
        </>
      )}
      onOpen={onOpen}
      paging={{ hasMore: false, loadingMore: false, onLoadMore: () => {}, prefetchRows: 5, loadingNote: "Loading more items…", ...paging }}
    />,
  );
}

describe("virtual table", () => {
  it("puts only the rows on screen in the DOM, with the grid's row count and each row's attributes", () => {
    table(items(1000));
    const grid = screen.getByRole("grid", { name: "Items" });
    expect(grid).toHaveClass("table", "item-table");
    expect(grid).toHaveAttribute("aria-rowcount", "1001");
    expect(screen.getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["Name", "Id"]);
    const rows = screen.getAllByTestId("item-row");
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(100);
    expect(rows[0]).toHaveAttribute("data-id", "i0");
    expect(rows[0]).toHaveAttribute("aria-rowindex", "2");
    expect(rows[0]).toHaveAttribute("class", "row item-row");
    expect(rows[1]).toHaveAttribute("class", "row item-row inert");
  });

  it("opens a row on click, Enter and Space, and moves between rows with the arrow keys", async () => {
    const onOpen = vi.fn();
    table(items(30), {}, onOpen);
    const rows = screen.getAllByTestId("item-row");
    fireEvent.click(rows[2]);
    fireEvent.keyDown(rows[3], { key: "Enter" });
    fireEvent.keyDown(rows[4], { key: " " });
    expect(onOpen.mock.calls.map(([r]) => r.id)).toEqual(["i2", "i3", "i4"]);

    fireEvent.keyDown(rows[4], { key: "ArrowDown" });
    await waitFor(() => expect(document.activeElement).toBe(rows[5]));
    fireEvent.keyDown(rows[5], { key: "ArrowUp" });
    await waitFor(() => expect(document.activeElement).toBe(rows[4]));
    // The first row stays the first.
    fireEvent.keyDown(rows[0], { key: "ArrowUp" });
    await waitFor(() => expect(document.activeElement).toBe(rows[0]));
  });

  it("asks for the next page once a row near the end shows, and not while one loads or none is left", () => {
    const onLoadMore = vi.fn();
    const { unmount } = table(items(12), { hasMore: true, onLoadMore });
    expect(onLoadMore).toHaveBeenCalledTimes(1);
    unmount();

    onLoadMore.mockClear();
    const loading = table(items(12), { hasMore: true, loadingMore: true, onLoadMore });
    expect(onLoadMore).not.toHaveBeenCalled();
    expect(screen.getByText("Loading more items…")).toBeInTheDocument();
    loading.unmount();

    table(items(12), { hasMore: false, onLoadMore });
    expect(onLoadMore).not.toHaveBeenCalled();
    expect(screen.queryByText("Loading more items…")).not.toBeInTheDocument();
  });

  it("does not ask for the next page while the end is far below the screen", () => {
    const onLoadMore = vi.fn();
    table(items(500), { hasMore: true, onLoadMore });
    expect(onLoadMore).not.toHaveBeenCalled();
  });
});

describe("virtual table without paging", () => {
  it("is the whole list: it asks for nothing more and shows no loading note", () => {
    render(
      <VirtualTable
        label="Whole"
        columns={["Name"]}
        rows={items(3)}
        rowKey={(r) => r.id}
        rowAttributes={(r) => ({ "aria-selected": r.id === "i2", "data-testid": "whole-row" })}
        cells={(r) => <span role="gridcell">{r.name}</span>}
        onOpen={() => {}}
      />,
    );
    expect(screen.getByRole("grid", { name: "Whole" })).toHaveAttribute("class", "table");
    const rows = screen.getAllByTestId("whole-row");
    expect(rows[0]).toHaveAttribute("class", "row");
    expect(rows[2]).toHaveAttribute("aria-selected", "true");
    expect(document.querySelector(".table-note")).toBeNull();
  });
});

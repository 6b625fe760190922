import { fireEvent, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { useState } from "react";
import { afterEach, beforeEach, vi } from "vitest";
import type { DeviceWindowRequest } from "../../bindings/DeviceWindowRequest";
import type { RolloutDeviceRow } from "../../bindings/RolloutDeviceRow";
import { connections } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { DeviceTable, rowCount, WINDOW, type TableView } from "./DeviceTable";
import { rolloutItem } from "./fixtures";

const FLEET = 100_000;

beforeEach(() => {
  vi.spyOn(Element.prototype, "clientHeight", "get").mockReturnValue(600);
  vi.spyOn(Element.prototype, "clientWidth", "get").mockReturnValue(1000);
});
afterEach(() => {
  clearMocks();
  vi.restoreAllMocks();
});

const row = (i: number): RolloutDeviceRow => ({
  device_id: `dev_${i}`,
  name: `sensor-${i}`,
  current_version: "1.4.2",
  target_version: "2.0.0",
  state: i % 10 === 0 ? "failed" : "successful",
  rollback_state: null,
  progress: 100,
  last_status: "INSTALLED_VERSION",
  last_message: null,
  updated_at: "2026-11-23T10:00:00Z",
});

/** A server with 100,000 devices: answers any window, and records what was asked. */
function backend(requests: DeviceWindowRequest[]) {
  mockIPC((cmd, args) => {
    if (cmd === "connections_list") return connections;
    if (cmd === "rollout_devices") {
      const req = (args as { request: DeviceWindowRequest }).request;
      requests.push(req);
      const end = Math.min(FLEET, req.offset + req.limit);
      return { offset: req.offset, has_more: end < FLEET, rows: Array.from({ length: end - req.offset }, (_, k) => row(req.offset + k)) };
    }
    return null;
  });
}

function Table({ onOpen = () => {}, updatedAt }: { onOpen?: (id: string) => void; updatedAt?: string }) {
  const [view, setView] = useState<TableView>({ state: null, sort: "position", descending: false });
  const rollout = rolloutItem({
    eligible_count: FLEET,
    in_slice: FLEET,
    pending: 0,
    counters: { scheduled: 0, command_sent: 0, in_progress: 0, successful: 90_000, failed: 10_000, timed_out: 0 },
    ...(updatedAt ? { updated_at: updatedAt } : {}),
  });
  return <DeviceTable rollout={rollout} view={view} onView={setView} onOpenDevice={onOpen} live={false} />;
}

describe("rollout device table", () => {
  it("renders a screenful of 100,000 rows and fetches only the window on screen", async () => {
    const requests: DeviceWindowRequest[] = [];
    backend(requests);
    renderApp(<Table />);
    expect(await screen.findByText("sensor-0")).toBeInTheDocument();
    expect(screen.getByTestId("device-count")).toHaveTextContent("100000 devices");
    expect(screen.getAllByTestId("device-row").length).toBeLessThan(60);
    expect(requests).toEqual([
      { rollout_id: "rol_1", state: null, sort: "position", descending: false, offset: 0, limit: WINDOW, failure_reason: null, failure_status: null },
    ]);
  });

  it("asks the server to sort and filter, and opens a device's history", async () => {
    const requests: DeviceWindowRequest[] = [];
    backend(requests);
    const open = vi.fn();
    renderApp(<Table onOpen={open} />);
    await screen.findByText("sensor-0");
    fireEvent.click(screen.getByRole("button", { name: "State" }));
    await waitFor(() => expect(requests.at(-1)).toMatchObject({ sort: "state", descending: false, offset: 0 }));
    fireEvent.click(screen.getByRole("button", { name: /State/ }));
    await waitFor(() => expect(requests.at(-1)).toMatchObject({ sort: "state", descending: true }));
    expect(screen.getByRole("columnheader", { name: /State/ })).toHaveAttribute("aria-sort", "descending");
    fireEvent.change(screen.getByLabelText("Show"), { target: { value: "failed" } });
    await waitFor(() => expect(requests.at(-1)).toMatchObject({ state: "failed" }));
    expect(screen.getByTestId("device-count")).toHaveTextContent("10000 devices");
    fireEvent.keyDown((await screen.findAllByTestId("device-row"))[0], { key: "Enter" });
    expect(open).toHaveBeenCalledWith("dev_0");
  });

  it("keeps its rows while a live change refetches them, instead of flashing placeholders", async () => {
    const requests: DeviceWindowRequest[] = [];
    let answer: ((rows: unknown) => void) | null = null;
    mockIPC((cmd, args) => {
      if (cmd === "connections_list") return connections;
      if (cmd === "rollout_devices") {
        const req = (args as { request: DeviceWindowRequest }).request;
        requests.push(req);
        const page = { offset: req.offset, has_more: true, rows: Array.from({ length: req.limit }, (_, k) => row(req.offset + k)) };
        // The first window answers at once; the refetch after the change waits for the test.
        if (requests.length === 1) return page;
        return new Promise((resolve) => (answer = () => resolve({ ...page, rows: page.rows.map((r) => ({ ...r, progress: 55 })) })));
      }
      return null;
    });
    function Live() {
      const [at, setAt] = useState("2026-11-23T10:05:00Z");
      return (
        <>
          <button type="button" onClick={() => setAt("2026-11-23T10:05:02Z")}>
            a change
          </button>
          <Table updatedAt={at} />
        </>
      );
    }
    renderApp(<Live />);
    await screen.findByText("sensor-0");
    // The rollout changed (the view re-reads it every 1.5 s during a live rollout).
    fireEvent.click(screen.getByRole("button", { name: "a change" }));
    await waitFor(() => expect(requests).toHaveLength(2));
    expect(screen.getByText("sensor-0")).toBeInTheDocument();
    expect(document.querySelectorAll(".row.loading")).toHaveLength(0);
    answer!(null);
    expect((await screen.findAllByText("55 %")).length).toBeGreaterThan(0);
  });

  it("does not repeat the refused-token banner when the server refuses the rows", async () => {
    const refusedToken = { connection: "prod", message: "the server refused this connection's token" };
    for (const tokenRefused of [null, refusedToken]) {
      let asked = 0;
      mockIPC((cmd) => {
        if (cmd === "connections_list") return { ...connections, token_refused: tokenRefused };
        if (cmd === "rollout_devices") {
          asked += 1;
          throw { code: "UNAUTHENTICATED", message: "this API token has been revoked" };
        }
        return null;
      });
      const { unmount } = renderApp(<Table />);
      if (tokenRefused === null) {
        expect(await screen.findByTestId("device-table-error")).toHaveTextContent("this API token has been revoked");
      } else {
        await waitFor(() => expect(asked).toBeGreaterThan(0));
        await new Promise((r) => setTimeout(r, 50));
        expect(screen.queryByTestId("device-table-error")).toBeNull();
      }
      unmount();
    }
  });

  it("counts each device once, in the state it shows, so the filters add up to the rollout", () => {
    // 258 devices, 55 in the slice: 47 updated, 5 failed, 3 timed out. The rollback reached
    // the 50 the update reached: 45 are back, 2 failed to roll back, 3 are on their way.
    const rolledBack = rolloutItem({
      status: "rolling_back",
      eligible_count: 258,
      in_slice: 55,
      pending: 203,
      counters: { scheduled: 0, command_sent: 0, in_progress: 0, successful: 47, failed: 5, timed_out: 3 },
      rollback_counters: { scheduled: 0, command_sent: 2, in_progress: 1, successful: 45, failed: 2, timed_out: 0 },
    });
    const states = ["scheduled", "command_sent", "in_progress", "successful", "failed", "timed_out", "pending"];
    expect(rowCount(rolledBack, "successful")).toBe(45);
    expect(rowCount(rolledBack, "failed")).toBe(7);
    expect(rowCount(rolledBack, "timed_out")).toBe(0);
    const sum = states.reduce((n, s) => n + rowCount(rolledBack, s), 0);
    expect(sum).toBe(rowCount(rolledBack, null));
    // Without a rollback, the update's counters.
    const live = rolloutItem();
    expect(states.reduce((n, s) => n + rowCount(live, s), 0)).toBe(live.eligible_count);
  });
});

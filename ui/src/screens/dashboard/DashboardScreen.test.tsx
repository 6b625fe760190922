import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetFirstPaintForTests } from "../../lib/firstPaint";
import { connections } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { DashboardScreen } from "./DashboardScreen";
import { cacheSummary, dashboard } from "./fixtures";
import { rolloutItem } from "../rollouts/fixtures";

// jsdom has no canvas: the chart is replaced by what the screen hands it (CONTRACT item 1).
const charts = vi.hoisted(() => [] as { data: unknown; summary: string }[]);
vi.mock("../../components/charts/Chart", () => ({
  Chart: (props: { data: unknown; summary: string }) => {
    charts.push({ data: props.data, summary: props.summary });
    return <figure data-testid="chart" aria-label={props.summary} />;
  },
}));

beforeEach(() => {
  charts.length = 0;
  resetFirstPaintForTests();
});
afterEach(() => clearMocks());

function backend(over: Record<string, unknown> = {}) {
  const calls: string[] = [];
  const answers: Record<string, unknown> = {
    connections_list: connections,
    dashboard_cached: dashboard({ fresh: false }),
    dashboard_refresh: dashboard(),
    cache_summary: cacheSummary,
    ...over,
  };
  mockIPC((cmd) => {
    calls.push(cmd);
    const answer = answers[cmd];
    if (answer instanceof Promise) return answer;
    if (answer instanceof Error) throw { code: answer.name, message: answer.message };
    return answer ?? null;
  });
  return calls;
}

describe("dashboard", () => {
  it("paints from the cache without waiting for the server, and reports that first paint", async () => {
    const calls = backend({ dashboard_refresh: new Promise(() => {}) });
    renderApp(<DashboardScreen navigate={() => {}} onOpenSettings={() => {}} />);
    expect(await screen.findAllByTestId("dashboard-rollout")).toHaveLength(2);
    await waitFor(() => expect(calls).toContain("first_paint"));
    expect(calls).toContain("dashboard_refresh");
  });

  it("shows each rollout's state, progress and failure rate against its threshold, and opens it", async () => {
    backend();
    const navigate = vi.fn();
    renderApp(<DashboardScreen navigate={navigate} onOpenSettings={() => {}} />);
    const rows = await screen.findAllByTestId("dashboard-rollout");
    const paused = rows.find((r) => r.dataset.rolloutId === "rol_paused")!;
    expect(within(paused).getByTestId("dashboard-rollout-state")).toHaveTextContent("Auto-paused");
    // 12 succeeded + 2 failed of 40 eligible have a verdict.
    expect(within(paused).getByTestId("dashboard-rollout-progress")).toHaveTextContent("14 of 40 done · 2 failed");
    const failures = within(paused).getByTestId("dashboard-rollout-failures");
    expect(failures).toHaveTextContent("25.0 % failed of 10 % allowed");
    expect(failures).toHaveClass("error");
    const active = rows.find((r) => r.dataset.rolloutId === "rol_active")!;
    expect(within(active).getByTestId("dashboard-rollout-state")).toHaveTextContent("Active");
    expect(within(active).getByTestId("dashboard-rollout-failures")).not.toHaveClass("error");
    fireEvent.click(paused);
    expect(navigate).toHaveBeenCalledWith("#/rollouts/rol_paused");
  });

  it("colours a rollout's failure rate as the engine pauses: above the threshold, once it applies", async () => {
    backend({
      dashboard_cached: dashboard({
        rollouts: [
          // Exactly at the threshold (the desk says at-or-above, for its confirmations): no pause.
          { rollout: rolloutItem({ id: "rol_at", failure_rate_percent: 10, failure_threshold_percent: 10, at_or_above_threshold: true }), paused_at: null, auto_paused: false },
          { rollout: rolloutItem({ id: "rol_above", failure_rate_percent: 12.5, failure_threshold_percent: 10, at_or_above_threshold: true }), paused_at: null, auto_paused: false },
          // Above, but min_devices not reached yet: no pause.
          {
            rollout: rolloutItem({ id: "rol_early", failure_rate_percent: 50, at_or_above_threshold: true, verdicts: 2, min_devices: 5, threshold_armed: false }),
            paused_at: null,
            auto_paused: false,
          },
        ],
      }),
      dashboard_refresh: new Promise(() => {}),
    });
    renderApp(<DashboardScreen navigate={() => {}} onOpenSettings={() => {}} />);
    const rows = await screen.findAllByTestId("dashboard-rollout");
    const danger = (id: string) => {
      const row = rows.find((r) => r.dataset.rolloutId === id)!;
      const fill = within(row).getByTestId("failure-fill").classList.contains("over");
      const words = within(row).getByTestId("dashboard-rollout-failures").classList.contains("error");
      expect(fill).toBe(words);
      return fill;
    };
    expect(danger("rol_at")).toBe(false);
    expect(danger("rol_above")).toBe(true);
    expect(danger("rol_early")).toBe(false);
  });

  it("hands the chart one bar per version, coloured by device type, and says it in words", async () => {
    backend();
    renderApp(<DashboardScreen navigate={() => {}} onOpenSettings={() => {}} />);
    await screen.findByTestId("chart");
    const last = charts[charts.length - 1];
    expect(last.data).toEqual([
      [0, 1, 2],
      [20, 4, null],
      [null, null, 4],
    ]);
    expect(last.summary).toBe(
      "Firmware versions per device type. temp-sensor: 20 on 2.0.0, 4 on 1.0.0; gateway: 4 on 1.9.0.",
    );
    expect(screen.getByTestId("fleet-versions-list")).toHaveTextContent("gateway 1.9.0 × 4");
  });

  it("lists the recent auto-pauses and what the cache holds", async () => {
    backend();
    const navigate = vi.fn();
    renderApp(<DashboardScreen navigate={navigate} onOpenSettings={() => {}} />);
    const pause = await screen.findByTestId("auto-pause");
    expect(pause).toHaveTextContent("2.0.0");
    expect(pause).toHaveTextContent("now paused");
    fireEvent.click(pause);
    expect(navigate).toHaveBeenCalledWith("#/rollouts/rol_paused");
    expect(await screen.findByTestId("cached-devices")).toHaveTextContent("1,234,567");
    expect(screen.getByTestId("cached-audit")).toHaveTextContent("40");
    const devicesRow = screen.getByTestId("cached-devices").closest("tr")!;
    expect(devicesRow).toHaveTextContent("never");
  });

  it("offline, keeps the cached dashboard and says why", async () => {
    backend({ dashboard_refresh: dashboard({ fresh: false, offline_reason: "cannot reach http://127.0.0.1:9" }) });
    renderApp(<DashboardScreen navigate={() => {}} onOpenSettings={() => {}} />);
    expect(await screen.findByTestId("dashboard-offline")).toHaveTextContent("cannot reach http://127.0.0.1:9");
    expect(screen.getAllByTestId("dashboard-rollout")).toHaveLength(2);
  });

  it("says when nothing is under way and no device was counted", async () => {
    backend({ dashboard_cached: dashboard({ rollouts: [], auto_pauses: [], fleet_versions: [] }), dashboard_refresh: dashboard({ rollouts: [], auto_pauses: [], fleet_versions: [] }) });
    renderApp(<DashboardScreen navigate={() => {}} onOpenSettings={() => {}} />);
    expect(await screen.findByTestId("no-rollouts-underway")).toBeInTheDocument();
    expect(screen.getByTestId("fleet-versions-empty")).toBeInTheDocument();
    expect(screen.getByTestId("no-auto-pauses")).toBeInTheDocument();
    expect(screen.queryByTestId("chart")).toBeNull();
  });

  it("without a connection, points to Settings", async () => {
    backend({ connections_list: { ...connections, active: null }, dashboard_cached: dashboard({ connection: null, rollouts: [] }) });
    const open = vi.fn();
    renderApp(<DashboardScreen navigate={() => {}} onOpenSettings={open} />);
    fireEvent.click(await screen.findByRole("button", { name: "Open Settings" }));
    expect(open).toHaveBeenCalled();
  });
});

import { render, screen, within } from "@testing-library/react";
import { rolloutItem } from "./fixtures";
import { RolloutListTable } from "./RolloutListTable";

describe("rollout list", () => {
  it("tells the outcomes apart: success, failures with their count, and a rollback with the devices back", () => {
    const done = { scheduled: 0, command_sent: 0, in_progress: 0, successful: 40, failed: 0, timed_out: 0 };
    render(
      <RolloutListTable
        onOpen={() => {}}
        rollouts={[
          rolloutItem({ id: "ok", status: "completed", outcome: "succeeded", counters: done }),
          rolloutItem({ id: "some", status: "completed", outcome: "some_failed", counters: { ...done, successful: 215, failed: 40, timed_out: 3 } }),
          rolloutItem({
            id: "back",
            status: "completed",
            outcome: "rolled_back",
            counters: { ...done, successful: 47 },
            rollback_counters: { ...done, successful: 45, failed: 2 },
          }),
        ]}
      />,
    );
    const row = (id: string) => within(screen.getAllByTestId("rollout-row").find((r) => r.dataset.rolloutId === id)!);
    expect(row("ok").getByTestId("rollout-status")).toHaveTextContent("Succeeded");
    expect(row("ok").getByTestId("rollout-status")).toHaveClass("s-completed");
    expect(row("some").getByTestId("rollout-status")).toHaveTextContent("Completed · 43 failed");
    expect(row("some").getByTestId("rollout-status")).toHaveClass("o-some_failed");
    const back = row("back");
    expect(back.getByTestId("rollout-status")).toHaveTextContent("Rolled back");
    expect(back.getByTestId("rollout-status")).not.toHaveClass("s-completed");
    // Not "47/40 updated": those devices run the rollback version again.
    expect(back.getByTestId("rollout-progress")).toHaveTextContent("↩ 45/47 back");
    expect(back.getByTestId("rollout-progress")).toHaveAttribute("title", "45 of 47 devices back on 1.4.2");
  });
});

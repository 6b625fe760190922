import { fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { phaseProblems, presetPhases, type PhaseDraft } from "./phases";
import { PhasesEditor } from "./PhasesEditor";

/** The editor with its own state, as the wizard holds it. */
function Editor({ initial, sizes = null }: { initial: PhaseDraft[]; sizes?: number[] | null }) {
  const [phases, setPhases] = useState(initial);
  return <PhasesEditor phases={phases} onChange={setPhases} problems={phaseProblems(phases)} sizes={sizes} />;
}

describe("phases editor", () => {
  it("switches presets, adds a phase before the final 100 % and shows each phase's devices", () => {
    render(<Editor initial={presetPhases("canary-then-everyone")!} sizes={[2, 40]} />);
    expect(screen.getByLabelText(/^Canary, then everyone/)).toBeChecked();
    expect(screen.getByTestId("phase-1-devices")).toHaveTextContent("2");
    expect(screen.getByTestId("phase-2-devices")).toHaveTextContent("40");

    fireEvent.click(screen.getByTestId("add-phase"));
    expect(screen.getByLabelText("Phase 2 slice")).toHaveValue("52");
    expect(screen.getByLabelText("Phase 3 slice")).toHaveValue("100");
    expect(screen.getByLabelText(/^Custom/)).toBeChecked();
    // Devices for a plan the server has not previewed yet are not guessed.
    expect(screen.getByTestId("phase-3-devices")).toHaveTextContent("—");

    fireEvent.click(screen.getByLabelText(/^1 % → 10 % → 50 % → 100 %/));
    expect(screen.getAllByRole("listitem").filter((li) => li.dataset.testid?.startsWith("phase-"))).toHaveLength(4);
    expect(screen.getByLabelText("Phase 4 soak time")).toHaveValue("1h");
  });

  it("explains a plan that stops short of 100 % under the list, and a bad field under its phase", () => {
    render(<Editor initial={[{ percent: "10", soak: "1h", gate: "95" }, { percent: "60", soak: "2d", gate: "95" }]} />);
    expect(screen.getByText("The last phase must reach 100 % so every eligible device gets the update; it stops at 60 %. Add a 100 % phase or raise the last one.")).toBeInTheDocument();
    expect(screen.getByLabelText("Phase 2 soak time")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Phase 2 soak time")).toHaveAccessibleDescription('"2d" is not a duration: write 90s, 30m or 2h (0 for none).');
    fireEvent.click(screen.getByRole("button", { name: "Remove phase 2" }));
    expect(screen.getByRole("button", { name: "Move phase 1 up" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Move phase 1 down" })).toBeDisabled();
  });
});

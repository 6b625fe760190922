import { render, screen } from "@testing-library/react";
import { FailureGauge } from "./FailureGauge";

/** A rate and threshold once the threshold applies (no `min_devices`). */
const values = (rate: number, threshold: number) => ({ rate, threshold, verdicts: 20, minDevices: 0 });

const widthOf = (testId: string) => (screen.getByTestId(testId) as HTMLElement).style;

describe("failure gauge", () => {
  it("draws every rate on the same 0–100 % scale, with the threshold where it is", () => {
    const { unmount } = render(<FailureGauge {...values(52, 20)} />);
    expect(widthOf("failure-fill").width).toBe("52%");
    expect(widthOf("failure-threshold").left).toBe("20%");
    expect(screen.getByRole("meter")).toHaveAttribute("aria-valuemax", "100");
    unmount();

    // 100 % fills the track; it does not look like 52 % (the old gauge rescaled both to full).
    render(<FailureGauge {...values(100, 20)} />);
    expect(widthOf("failure-fill").width).toBe("100%");
    expect(widthOf("failure-threshold").left).toBe("20%");
  });

  it("keeps a small rate small next to a low threshold", () => {
    render(<FailureGauge {...values(3, 5)} compact />);
    expect(widthOf("failure-fill").width).toBe("3%");
    expect(widthOf("failure-threshold").left).toBe("5%");
  });
});

describe("failure gauge's warning colour", () => {
  it("is the engine's auto-pause condition, decided by the gauge from the values", () => {
    // At the threshold the engine carries on: no danger colour, wherever the gauge is.
    const { unmount } = render(<FailureGauge {...values(20, 20)} />);
    expect(screen.getByTestId("failure-fill")).not.toHaveClass("over");
    expect(screen.getByTestId("failure-rate")).not.toHaveClass("error");
    unmount();

    // Strictly above pauses.
    const above = render(<FailureGauge {...values(20.5, 20)} compact />);
    expect(screen.getByTestId("failure-fill")).toHaveClass("over");
    above.unmount();

    // Above, but fewer verdicts than `min_devices`: the threshold does not apply yet.
    render(<FailureGauge rate={50} threshold={20} verdicts={2} minDevices={5} />);
    expect(screen.getByTestId("failure-fill")).not.toHaveClass("over");
    expect(screen.getByTestId("failure-threshold-text")).toHaveTextContent("auto-pause above 20 % once 5 devices have a verdict");
  });

  it("is made of phrasing content, so it can sit inside a button", () => {
    render(<FailureGauge {...values(12.4, 10)} />);
    const gauge = screen.getByTestId("failure-gauge");
    expect(gauge.querySelector("div, p, ul")).toBeNull();
    expect(gauge.tagName).toBe("SPAN");
    expect(screen.getByRole("meter")).toHaveAttribute("aria-valuetext", "12 %, threshold 10 %");
  });
});

import { render, screen } from "@testing-library/react";
import { FailureGauge } from "./DeviceStateBar";

const widthOf = (testId: string) => (screen.getByTestId(testId) as HTMLElement).style;

describe("failure gauge", () => {
  it("draws every rate on the same 0–100 % scale, with the threshold where it is", () => {
    const { unmount } = render(<FailureGauge rate={52} threshold={20} />);
    expect(widthOf("failure-fill").width).toBe("52%");
    expect(widthOf("failure-threshold").left).toBe("20%");
    expect(screen.getByRole("meter")).toHaveAttribute("aria-valuemax", "100");
    unmount();

    // 100 % fills the track; it does not look like 52 % (the old gauge rescaled both to full).
    render(<FailureGauge rate={100} threshold={20} />);
    expect(widthOf("failure-fill").width).toBe("100%");
    expect(widthOf("failure-threshold").left).toBe("20%");
  });

  it("keeps a small rate small next to a low threshold", () => {
    render(<FailureGauge rate={3} threshold={5} compact />);
    expect(widthOf("failure-fill").width).toBe("3%");
    expect(widthOf("failure-threshold").left).toBe("5%");
  });
});

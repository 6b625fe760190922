import { render, screen } from "@testing-library/react";
import { FailureGauge } from "./FailureGauge";

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

describe("failure gauge's warning colour", () => {
  it("is the auto-pause rule (strictly above the threshold) unless the caller says otherwise", () => {
    const { unmount } = render(<FailureGauge rate={20} threshold={20} compact />);
    expect(screen.getByTestId("failure-fill")).not.toHaveClass("over");
    unmount();

    render(<FailureGauge rate={20} threshold={20} over compact />);
    expect(screen.getByTestId("failure-fill")).toHaveClass("over");
  });

  it("is made of phrasing content, so it can sit inside a button", () => {
    render(<FailureGauge rate={12.4} threshold={10} />);
    const gauge = screen.getByTestId("failure-gauge");
    expect(gauge.querySelector("div, p, ul")).toBeNull();
    expect(gauge.tagName).toBe("SPAN");
    expect(screen.getByRole("meter")).toHaveAttribute("aria-valuetext", "12 %, threshold 10 %");
  });
});

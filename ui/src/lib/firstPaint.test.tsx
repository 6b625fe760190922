import { render, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, expect, it } from "vitest";
import { resetFirstPaintForTests, useReportFirstPaint } from "./firstPaint";

let calls: string[] = [];

beforeEach(() => {
  calls = [];
  resetFirstPaintForTests();
  mockIPC((cmd) => {
    calls.push(cmd);
    return null;
  });
});
afterEach(() => clearMocks());

function Screen({ ready }: { ready: boolean }) {
  useReportFirstPaint(ready);
  return <p>screen</p>;
}

const nextFrames = () =>
  new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));

it("reports nothing until the screen has its data", async () => {
  render(<Screen ready={false} />);
  await nextFrames();
  await nextFrames();
  expect(calls).toEqual([]);
});

it("reports the first paint once, after the frame that shows the data", async () => {
  const { rerender, unmount } = render(<Screen ready={false} />);
  rerender(<Screen ready />);
  await waitFor(() => expect(calls).toEqual(["first_paint"]));
  // Re-rendering or mounting the screen again (switching sections) does not report again.
  unmount();
  render(<Screen ready />);
  await nextFrames();
  await nextFrames();
  expect(calls).toEqual(["first_paint"]);
});

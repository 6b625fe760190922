import { afterEach, expect, it, vi } from "vitest";

afterEach(() => {
  vi.resetModules();
  vi.restoreAllMocks();
});

it("replaces a language tag Intl refuses (LANG=C) before uPlot reads it", async () => {
  vi.spyOn(navigator, "language", "get").mockReturnValue("C");
  expect(() => new Intl.NumberFormat(navigator.language)).toThrow(RangeError);
  await import("./locale");
  expect(() => new Intl.NumberFormat(navigator.language)).not.toThrow();
  Reflect.deleteProperty(navigator, "language");
});

it("keeps a usable one", async () => {
  vi.spyOn(navigator, "language", "get").mockReturnValue("de-DE");
  await import("./locale");
  expect(navigator.language).toBe("de-DE");
});

import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";

// Screens keep their place in the URL hash; each test starts from the default screen.
afterEach(() => window.history.replaceState(null, "", "/"));

// jsdom has no matchMedia; uPlot asks it for the pixel ratio as soon as its module loads, so
// every test that imports a screen with a chart would fail to load. The charts themselves are
// mocked in the tests that render them (jsdom has no canvas either).
if (typeof window.matchMedia !== "function") {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addEventListener: () => {},
      removeEventListener: () => {},
      addListener: () => {},
      removeListener: () => {},
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

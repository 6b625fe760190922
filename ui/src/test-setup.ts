import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";

// Screens keep their place in the URL hash; each test starts from the default screen.
afterEach(() => window.history.replaceState(null, "", "/"));

// uPlot (components/charts) asks matchMedia for the screen's pixel ratio when it is imported;
// jsdom has none. Screens' tests mock the Chart itself (jsdom has no canvas either).
if (!window.matchMedia) {
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

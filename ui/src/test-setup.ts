import "@testing-library/jest-dom/vitest";
import { configure } from "@testing-library/react";
import { afterEach } from "vitest";

// findBy*/waitFor wait for behaviour, not for a deadline: on a loaded machine (CI, or several
// builds at once) a screen can take more than the default second to settle.
configure({ asyncUtilTimeout: 5000 });

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

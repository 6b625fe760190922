// jsdom lays nothing out (every size is 0), so a virtualized list would render no rows. Tests of
// virtualized lists give every element a window-like size for their duration.
import { afterAll, beforeAll } from "vitest";

export function withLayout(width = 1000, height = 600) {
  const saved = {
    w: Object.getOwnPropertyDescriptor(HTMLElement.prototype, "clientWidth"),
    h: Object.getOwnPropertyDescriptor(HTMLElement.prototype, "clientHeight"),
  };
  beforeAll(() => {
    Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => width });
    Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => height });
  });
  afterAll(() => {
    if (saved.w) Object.defineProperty(HTMLElement.prototype, "clientWidth", saved.w);
    if (saved.h) Object.defineProperty(HTMLElement.prototype, "clientHeight", saved.h);
  });
}

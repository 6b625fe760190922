import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";

// Screens keep their place in the URL hash; each test starts from the default screen.
afterEach(() => window.history.replaceState(null, "", "/"));

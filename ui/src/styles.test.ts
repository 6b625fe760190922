// A merge that drops a closing brace silently swallows every rule after it (this happened once:
// the rollout screens lost all their styles). Catch it here rather than in a screenshot.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("styles.css", () => {
  it("has balanced blocks and no rule nested in another", () => {
    // Vitest runs in ui/.
    const css = readFileSync("src/styles.css", "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    expect(css).toContain(".shell {");
    let depth = 0;
    let inMedia = false;
    css.split("\n").forEach((line, i) => {
      if (/^@media/.test(line)) inMedia = true;
      depth += (line.match(/{/g) ?? []).length - (line.match(/}/g) ?? []).length;
      if (depth === 0) inMedia = false;
      expect(depth, `line ${i + 1}: ${line}`).toBeGreaterThanOrEqual(0);
      expect(depth, `line ${i + 1} opens a block inside a rule: ${line}`).toBeLessThanOrEqual(inMedia ? 2 : 1);
    });
    expect(depth).toBe(0);
  });
});

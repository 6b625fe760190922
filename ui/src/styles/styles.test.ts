// A merge that drops a closing brace silently swallows every rule after it (this happened once:
// the rollout screens lost all their styles). Catch it here rather than in a screenshot.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// Vitest runs in ui/.
const DIR = "src/styles";
const files = readdirSync(DIR).filter((f) => f.endsWith(".css"));

describe("styles", () => {
  it("index.css imports every other file, tokens first", () => {
    const index = readFileSync(`${DIR}/index.css`, "utf8");
    const imported = [...index.matchAll(/@import "\.\/([^"]+)";/g)].map((m) => m[1]);
    expect(imported[0]).toBe("tokens.css");
    expect([...imported].sort()).toEqual(files.filter((f) => f !== "index.css").sort());
    expect(readFileSync(`${DIR}/base.css`, "utf8")).toContain(".shell {");
  });

  it.each(files)("%s has balanced blocks and no rule nested in another", (file: string) => {
    const css = readFileSync(`${DIR}/${file}`, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
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

  it("colours are literal only in tokens.css", () => {
    for (const f of files.filter((f) => f !== "tokens.css")) {
      const literal = readFileSync(`${DIR}/${f}`, "utf8").match(/#[0-9a-f]{3,8}\b/i);
      expect(literal, `${f} uses ${literal?.[0]}; name it in tokens.css`).toBeNull();
    }
  });
});

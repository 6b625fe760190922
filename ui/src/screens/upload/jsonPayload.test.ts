import { describe, expect, it } from "vitest";
import { checkJsonPayload, lineColumn, MAX_JSON_PAYLOAD_BYTES } from "./jsonPayload";

describe("checkJsonPayload", () => {
  it("accepts an object and measures its canonical size", () => {
    const r = checkJsonPayload('{\n  "sample_s": 5.0,\n  "name": "é"\n}');
    expect(r).toMatchObject({ ok: true });
    // {"sample_s":5,"name":"é"}: 5.0 is written 5, é takes two bytes.
    if (r.ok) expect(r.bytes).toBe(new TextEncoder().encode('{"sample_s":5,"name":"é"}').length);
  });

  it("names the line and column of a syntax error", () => {
    expect(checkJsonPayload('{\n  "a": 1,\n  "b" 2\n}')).toMatchObject({ ok: false, line: 3, column: 7, message: expect.stringContaining("expected ':'") });
    expect(checkJsonPayload('{"a": 1,}')).toMatchObject({ ok: false, line: 1, column: 9, message: expect.stringContaining("trailing comma") });
    expect(checkJsonPayload("{'a': 1}")).toMatchObject({ ok: false, line: 1, column: 2, message: expect.stringContaining("double quotes") });
    expect(checkJsonPayload('{"a": "x}')).toMatchObject({ ok: false, message: expect.stringContaining("unterminated string") });
    expect(checkJsonPayload('{"a": tru}')).toMatchObject({ ok: false, line: 1, column: 7 });
    expect(checkJsonPayload('{"a": 1} x')).toMatchObject({ ok: false, column: 10, message: expect.stringContaining("after the JSON value") });
    expect(checkJsonPayload("   ")).toMatchObject({ ok: false, message: expect.stringContaining("empty") });
  });

  it("wants an object at the top", () => {
    for (const text of ["[1, 2]", '"x"', "3", "null"]) {
      expect(checkJsonPayload(text)).toMatchObject({ ok: false, message: expect.stringContaining("must be an object") });
    }
  });

  it("refuses more than 64 KiB of canonical JSON, and says how much", () => {
    const at = `{"k":"${"x".repeat(MAX_JSON_PAYLOAD_BYTES - 8)}"}`;
    expect(checkJsonPayload(at)).toMatchObject({ ok: true, bytes: MAX_JSON_PAYLOAD_BYTES });
    // Spaces do not count: the canonical form has none.
    expect(checkJsonPayload(at.replace(":", " :   "))).toMatchObject({ ok: true });
    const over = `{"k":"${"x".repeat(MAX_JSON_PAYLOAD_BYTES - 7)}"}`;
    expect(checkJsonPayload(over)).toMatchObject({ ok: false, bytes: 65537, message: expect.stringContaining("at most 65,536") });
  });

  it("refuses numbers JSON cannot carry", () => {
    expect(checkJsonPayload('{"n": 1e400}')).toMatchObject({ ok: false, message: expect.stringContaining("too large") });
  });
});

describe("lineColumn", () => {
  it("counts from 1", () => {
    expect(lineColumn("ab\ncd", 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
  });
});

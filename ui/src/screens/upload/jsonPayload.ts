// The JSON package editor's check, as the person types: the syntax (with the line and column of
// the first error, found by our own scan because engines word JSON.parse's errors differently,
// WebKit without a position), an object at the top, and the size the server measures: its
// canonical JSON (RFC 8785), which is as long as JSON.stringify's output (same escapes, same
// number forms; only the key order differs).

/** A JSON package's payload holds at most this many bytes as canonical JSON (seed 002). */
export const MAX_JSON_PAYLOAD_BYTES = 64 * 1024;

export type JsonCheck =
  | { ok: true; bytes: number; value: Record<string, unknown> }
  | { ok: false; message: string; line?: number; column?: number; bytes?: number };

class SyntaxProblem {
  constructor(
    readonly pos: number,
    readonly message: string,
  ) {}
}

function describe(ch: string | undefined): string {
  if (ch === undefined) return "the end of the text";
  if (ch === "\n") return "a line break";
  return `'${ch}'`;
}

/** Recursive descent over RFC 8259 JSON; throws SyntaxProblem at the first error. */
class Scanner {
  i = 0;
  constructor(private readonly s: string) {}

  fail(message: string): never {
    throw new SyntaxProblem(this.i, message);
  }

  ws() {
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i])) this.i++;
  }

  document() {
    this.ws();
    if (this.i >= this.s.length) this.fail("the payload is empty: enter a JSON object, e.g. {\"key\": \"value\"}");
    this.value();
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected ${describe(this.s[this.i])} after the JSON value`);
  }

  value() {
    const ch = this.s[this.i];
    if (ch === "{") return this.container("}", true);
    if (ch === "[") return this.container("]", false);
    if (ch === '"') return this.string();
    if (ch === "-" || (ch >= "0" && ch <= "9")) return this.number();
    for (const word of ["true", "false", "null"]) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return;
      }
    }
    this.fail(`unexpected ${describe(ch)}: expected a value (object, list, string, number, true, false or null)`);
  }

  container(close: "}" | "]", object: boolean) {
    this.i++;
    this.ws();
    if (this.s[this.i] === close) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      if (object) {
        if (this.s[this.i] !== '"') {
          this.fail(
            this.s[this.i] === close
              ? `a trailing comma before '${close}' is not allowed in JSON`
              : `expected a property name in double quotes, found ${describe(this.s[this.i])}`,
          );
        }
        this.string();
        this.ws();
        if (this.s[this.i] !== ":") this.fail(`expected ':' after the property name, found ${describe(this.s[this.i])}`);
        this.i++;
        this.ws();
      } else if (this.s[this.i] === close) {
        this.fail(`a trailing comma before '${close}' is not allowed in JSON`);
      }
      this.value();
      this.ws();
      const next = this.s[this.i];
      if (next === ",") {
        this.i++;
        continue;
      }
      if (next === close) {
        this.i++;
        return;
      }
      this.fail(`expected ',' or '${close}', found ${describe(next)}`);
    }
  }

  string() {
    this.i++;
    for (;;) {
      const ch = this.s[this.i];
      if (ch === undefined) this.fail("unterminated string: a closing '\"' is missing");
      if (ch === '"') {
        this.i++;
        return;
      }
      if (ch === "\\") {
        const esc = this.s[this.i + 1];
        if (esc === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i + 2, this.i + 6))) this.fail("\\u must be followed by 4 hexadecimal digits");
          this.i += 6;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) {
          this.i += 2;
        } else {
          this.fail(`unknown escape \\${esc ?? ""} in a string`);
        }
      } else if (ch < " ") {
        this.fail("a control character (such as a line break) must be escaped inside a string");
      } else {
        this.i++;
      }
    }
  }

  number() {
    const re = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m || m[0] === "-") this.fail("malformed number");
    this.i += m[0].length;
  }
}

/** 1-based line and column of offset `pos` in `text`. */
export function lineColumn(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  return { line, column: pos - before.lastIndexOf("\n") };
}

function hasNonFiniteNumber(v: unknown): boolean {
  if (typeof v === "number") return !Number.isFinite(v);
  if (Array.isArray(v)) return v.some(hasNonFiniteNumber);
  if (v && typeof v === "object") return Object.values(v).some(hasNonFiniteNumber);
  return false;
}

/** Whether `text` is a JSON package's payload, and if not, why (and where). */
export function checkJsonPayload(text: string): JsonCheck {
  try {
    new Scanner(text).document();
  } catch (e) {
    if (e instanceof SyntaxProblem) return { ok: false, message: e.message, ...lineColumn(text, e.pos) };
    throw e;
  }
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`;
    return { ok: false, message: `a JSON package's payload must be an object ({…}), not ${kind}` };
  }
  if (hasNonFiniteNumber(value)) return { ok: false, message: "a number is too large for JSON (beyond ±1.8e308)" };
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  if (bytes > MAX_JSON_PAYLOAD_BYTES) {
    return {
      ok: false,
      bytes,
      message: `${bytes.toLocaleString("en-US")} bytes as canonical JSON: a JSON package holds at most ${MAX_JSON_PAYLOAD_BYTES.toLocaleString("en-US")} (64 KiB)`,
    };
  }
  return { ok: true, bytes, value: value as Record<string, unknown> };
}

import { fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { JsonEditor } from "./JsonEditor";
import { rowProblem } from "./UrlListForm";

function Editor({ initial }: { initial: string }) {
  const [text, setText] = useState(initial);
  return <JsonEditor text={text} onChange={setText} />;
}

describe("JSON package editor", () => {
  it("checks the text as it is typed: the error's line and column, then the size", () => {
    render(<Editor initial={'{"a": 1}'} />);
    const editor = screen.getByLabelText("Payload (a JSON object)");
    expect(screen.getByTestId("json-status")).toHaveTextContent("Valid JSON object · 7 of 65,536 bytes");
    fireEvent.change(editor, { target: { value: '{\n  "a": 1\n  "b": 2\n}' } });
    expect(editor).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByRole("alert")).toHaveTextContent("Line 3, column 3: expected ',' or '}'");
    fireEvent.change(editor, { target: { value: '{\n  "a": 1,\n  "b": 2\n}' } });
    expect(editor).not.toHaveAttribute("aria-invalid");
    expect(screen.getByTestId("json-status")).toHaveTextContent("13 of 65,536 bytes");
  });

  it("refuses a payload over 64 KiB with its size", () => {
    render(<Editor initial={`{"k": "${"x".repeat(65_536)}"}`} />);
    expect(screen.getByRole("alert")).toHaveTextContent("65,544 bytes as canonical JSON: a JSON package holds at most 65,536 (64 KiB)");
  });
});

describe("URL list rows", () => {
  it("need an http(s) URL, a SHA-256 and a size", () => {
    const sha = "a".repeat(64);
    expect(rowProblem({ url: "https://h/a.bin", sha256: sha, size: "10" })).toBeNull();
    expect(rowProblem({ url: "ftp://h/a.bin", sha256: sha, size: "10" })).toMatch(/http/);
    expect(rowProblem({ url: "https://h/a.bin", sha256: "abc", size: "10" })).toMatch(/64 hexadecimal/);
    expect(rowProblem({ url: "https://h/a.bin", sha256: sha, size: "0" })).toMatch(/size/);
  });
});

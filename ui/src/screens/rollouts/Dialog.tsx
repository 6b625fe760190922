import { useEffect, useRef, type ReactNode } from "react";

/** A modal confirmation: focus moves in, Escape cancels, Tab stays inside. */
export function Dialog({ title, children, onCancel, testId }: { title: string; children: ReactNode; onCancel: () => void; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    box.current?.querySelector<HTMLElement>("input, button.primary, button.danger-solid, button")?.focus();
    return () => previous?.focus();
  }, []);
  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onCancel()}>
      <div
        ref={box}
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="dialog-title"
        data-testid={testId}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            onCancel();
          }
          if (e.key === "Tab") {
            const items = Array.from(box.current?.querySelectorAll<HTMLElement>("input, button, select") ?? []).filter((el) => !el.hasAttribute("disabled"));
            if (items.length === 0) return;
            const [first, last] = [items[0], items[items.length - 1]];
            if (e.shiftKey && document.activeElement === first) {
              e.preventDefault();
              last.focus();
            } else if (!e.shiftKey && document.activeElement === last) {
              e.preventDefault();
              first.focus();
            }
          }
        }}
      >
        <h2 id="dialog-title">{title}</h2>
        {children}
      </div>
    </div>
  );
}

import type { ReactNode } from "react";

/** A labelled control with its problem (blocking, red) or note (informative) underneath. */
export function Field({
  id,
  label,
  problem,
  note,
  children,
}: {
  id: string;
  label: string;
  problem?: string;
  note?: string;
  children: ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {problem ? (
        <p id={`${id}-problem`} className="field-error" role="alert">
          {problem}
        </p>
      ) : note ? (
        <p id={`${id}-note`} className="field-note">
          {note}
        </p>
      ) : null}
    </div>
  );
}

/** aria attributes tying a control to its problem or note. */
export function describedBy(id: string, problem?: string, note?: string) {
  return {
    "aria-invalid": problem ? true : undefined,
    "aria-describedby": problem ? `${id}-problem` : note ? `${id}-note` : undefined,
  } as const;
}

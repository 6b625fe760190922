// A form's errors per field, as a person meets them: a save (or the backend's answer naming a
// field, also one the form opens with, as the upload's details after a refused upload) sets them, and editing a field takes its own error away at once, the others staying
// until their fields are edited or the form is saved again. An error is about the value it
// judged; after an edit it would mislead, even if the new value is not right yet.
import { useCallback, useState } from "react";

export type FieldErrors<F extends string> = Partial<Record<F, string>>;

export function useFieldErrors<F extends string>(initial: FieldErrors<F> = {}) {
  const [errors, setErrors] = useState<FieldErrors<F>>(initial);
  /** The field was edited: its error goes, the others stay. */
  const edited = useCallback((field: F) => {
    setErrors((old) => {
      if (old[field] === undefined) return old;
      const rest = { ...old };
      delete rest[field];
      return rest;
    });
  }, []);
  return { errors, setErrors, edited };
}

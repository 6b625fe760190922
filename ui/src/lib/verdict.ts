// A form's verdict (a save's or a test's answer, a start's refusal) is about the values it was
// given. It is kept with those values and shown only while the form still holds them: any edit
// to any field makes it stale and it goes for good (going back to the judged values does not
// bring it back), and one that arrives after the person edited on is never shown.
//
// `values` is the form's state as one value, e.g. the object of its fields that a useState
// keeps (a new object on each edit): the one place where "the values changed" is decided, so
// no field can be left out of it.
import { useCallback, useState } from "react";

export function useVerdict<V, T>(values: V) {
  const [held, setHeld] = useState<{ values: V; verdict: T } | null>(null);
  // The values changed since: the verdict is dropped while rendering, before anything shows it
  // (React's "adjusting state when a prop changes").
  if (held !== null && !Object.is(held.values, values)) setHeld(null);
  const verdict = held !== null && Object.is(held.values, values) ? held.verdict : null;
  /** The answer about `given`: the values as they were sent, taken before awaiting. */
  const settle = useCallback((given: V, verdict: T) => setHeld({ values: given, verdict }), []);
  /** No verdict (e.g. while a new save runs). */
  const clear = useCallback(() => setHeld(null), []);
  return { verdict, settle, clear };
}

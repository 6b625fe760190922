import type { AppError } from "../ipc";

/** A failure as the app shows it everywhere: what could not be done (when the sentence needs
 *  it), the sentence for a person, then its stable code. */
export function ErrorLine({ error, context, testId }: { error: AppError; context?: string; testId?: string }) {
  return (
    <p role="alert" className="error" data-testid={testId}>
      {context ? `${context}: ` : null}
      {error.message} <code>{error.code}</code>
    </p>
  );
}

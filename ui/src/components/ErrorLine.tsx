import type { AppError } from "../ipc";

/** A failure as the app shows it everywhere: the sentence for a person, then its stable code. */
export function ErrorLine({ error }: { error: AppError }) {
  return (
    <p role="alert" className="error">
      {error.message} <code>{error.code}</code>
    </p>
  );
}

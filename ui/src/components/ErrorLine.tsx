import type { AppError } from "../ipc";
import { useRepeatsTokenBanner } from "../lib/queries";

type Props = { error: AppError; context?: string; testId?: string };

/** A failure as the app shows it everywhere: what could not be done (when the sentence needs
 *  it), the sentence for a person, then its stable code. Nothing while it would only repeat the
 *  refused-token banner (`useRepeatsTokenBanner`). */
export function ErrorLine(props: Props) {
  // Only an UNAUTHENTICATED failure reads the connection record, so a form rendered on its own
  // (its tests, without a query client) needs none.
  return props.error.code === "UNAUTHENTICATED" ? <UnauthenticatedLine {...props} /> : <Line {...props} />;
}

function UnauthenticatedLine(props: Props) {
  return useRepeatsTokenBanner(props.error) ? null : <Line {...props} />;
}

function Line({ error, context, testId }: Props) {
  return (
    <p role="alert" className="error" data-testid={testId}>
      {context ? `${context}: ` : null}
      {error.message} <code>{error.code}</code>
    </p>
  );
}

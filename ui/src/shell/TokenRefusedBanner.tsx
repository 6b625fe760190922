import { useTokenRefused } from "../lib/queries";

/** The one place the app says that the server refused the active connection's token (revoked
 *  or expired): what happened, what still works, and how to continue. The backend decides it
 *  (any call's 401, the live event stream's included) and stops asking the server again. */
export function TokenRefusedBanner({ onOpenSettings }: { onOpenSettings: () => void }) {
  const refused = useTokenRefused();
  if (!refused) return null;
  return (
    <section className="token-refused" role="alert" data-testid="token-refused-banner">
      <h2>The server no longer accepts the token of “{refused.connection}”</h2>
      <p>
        Its API token was revoked or has expired. Live updates have stopped. Cached screens stay readable, but
        anything that needs the server (refreshing, uploads, rollout actions) cannot run until you sign in again.
      </p>
      <p>
        To continue, paste a new API token for this connection in Settings (add it again under the same name), or
        sign in again to get one.
      </p>
      <details>
        <summary>What the server said</summary>
        <p className="muted" data-testid="token-refused-detail">
          {refused.message}
        </p>
      </details>
      <button type="button" onClick={onOpenSettings}>
        Open Settings
      </button>
    </section>
  );
}

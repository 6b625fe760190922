import { useEffect, useState } from "react";
import type { AppError } from "../../ipc";
import { formatClock } from "../../lib/format";
import { isLeaveGuarded } from "../../lib/route";
import { useRollouts } from "./queries";
import { RolloutListTable } from "./RolloutListTable";
import { RolloutView } from "./RolloutView";
import { RolloutWizard } from "./wizard/RolloutWizard";
import { ErrorLine } from "../../components/ErrorLine";

type Page = { kind: "list" } | { kind: "wizard"; packageId?: string } | { kind: "rollout"; id: string };

/** `#/rollouts/<id>` opens a rollout (links from notifications and other screens). */
export function rolloutFromHash(hash: string): string | null {
  const m = /^#\/rollouts\/([^/?#]+)/.exec(hash);
  return m && m[1] !== "new" ? decodeURIComponent(m[1]) : null;
}

/** `#/rollouts/new/<package id>` opens the wizard with that package chosen (lib/route.ts). */
export function newRolloutFromHash(hash: string): string | null {
  const m = /^#\/rollouts\/new\/([^/?#]+)/.exec(hash);
  return m ? decodeURIComponent(m[1]) : null;
}

/** The page a link asks for, if it asks for one. */
function pageFromHash(hash: string): Page | null {
  const packageId = newRolloutFromHash(hash);
  if (packageId) return { kind: "wizard", packageId };
  const id = rolloutFromHash(hash);
  return id ? { kind: "rollout", id } : null;
}

/** A device's history lives on the Devices screen; the shell follows the hash there. */
export function openDevice(id: string) {
  window.location.hash = `#/devices/${encodeURIComponent(id)}`;
}

/** The Rollouts section: the list, one rollout, or the start wizard. */
export function RolloutsScreen({ onOpenSettings }: { onOpenSettings: () => void }) {
  const [page, setPage] = useState<Page>(() => pageFromHash(window.location.hash) ?? { kind: "list" });
  useEffect(() => {
    // A link is followed once; clearing it keeps the sidebar's "Rollouts" meaning the list.
    const consume = () => history.replaceState(null, "", window.location.pathname + window.location.search);
    if (pageFromHash(window.location.hash)) consume();
    const onHash = () => {
      // The wizard asks before it is left (lib/route.ts); the hash comes again once it may go.
      if (isLeaveGuarded()) return;
      const linked = pageFromHash(window.location.hash);
      if (linked) {
        setPage(linked);
        consume();
      }
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const { data, live, cached, active } = useRollouts();
  const error = (live.error ?? cached.error) as AppError | null;

  if (page.kind === "rollout")
    return <RolloutView id={page.id} onBack={() => setPage({ kind: "list" })} onOpenDevice={openDevice} />;
  if (page.kind === "wizard")
    return (
      <>
        <div className="screen-head">
          <h1 id="section-title">Start a rollout</h1>
          <button type="button" onClick={() => setPage({ kind: "list" })}>
            Back to rollouts
          </button>
        </div>
        <RolloutWizard
          key={page.packageId ?? ""}
          initialPackageId={page.packageId}
          onStarted={(id) => setPage({ kind: "rollout", id })}
          onCancel={() => setPage({ kind: "list" })}
          onOpenRollout={(id) => setPage({ kind: "rollout", id })}
        />
      </>
    );

  const rollouts = data?.rollouts ?? [];
  return (
    <>
      <div className="screen-head">
        <h1 id="section-title">Rollouts</h1>
        {active && (
          <button type="button" className="primary" onClick={() => setPage({ kind: "wizard" })} data-testid="open-rollout-wizard">
            Start rollout
          </button>
        )}
      </div>
      {error && (
        <ErrorLine error={error} />
      )}
      {data && !data.fresh && data.connection && live.isFetched && (
        <p className="notice" role="status" data-testid="rollouts-offline">
          Offline — rollouts as of {data.synced_at_ms ? formatClock(data.synced_at_ms) : "the last sync"}.
        </p>
      )}
      {!active && cached.isSuccess ? (
        <section className="empty-state" data-testid="empty-state">
          <h2>No fleet connected</h2>
          <p>Add a server connection (or start the local demo fleet) to see and start rollouts.</p>
          <button type="button" className="primary" onClick={onOpenSettings}>
            Open Settings
          </button>
        </section>
      ) : rollouts.length === 0 && data ? (
        <section className="empty-state" data-testid="empty-state">
          <h2>No rollouts yet</h2>
          <p>Start one to send a package to a device profile, a canary slice first.</p>
          <button type="button" className="primary" onClick={() => setPage({ kind: "wizard" })}>
            Start rollout
          </button>
        </section>
      ) : (
        <>
          <p className="muted list-count" data-testid="rollout-count">
            {rollouts.length} rollout{rollouts.length === 1 ? "" : "s"} · {rollouts.filter((r) => r.status === "active").length} active ·{" "}
            {rollouts.filter((r) => r.status === "paused").length} paused
          </p>
          <RolloutListTable rollouts={rollouts} onOpen={(id) => setPage({ kind: "rollout", id })} />
        </>
      )}
    </>
  );
}

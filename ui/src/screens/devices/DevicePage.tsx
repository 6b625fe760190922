import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import * as ipc from "../../ipc";
import type { AppError } from "../../ipc";
import { formatAge, formatClock, formatTime } from "../../lib/format";
import { useNow } from "../../lib/useNow";
import { routeHash } from "../../lib/route";
import { CopyButton } from "../../components/CopyButton";
import { agentLabel } from "./agent";
import { rolloutStateLabel } from "./status";
import { StatusBadge } from "./StatusBadge";
import { Timeline } from "./Timeline";
import { newestFailure } from "./timeline";
import { useDeviceDetail } from "./useDevices";
import { ErrorLine } from "../../components/ErrorLine";

/** A device heard from within this long is online: devices poll every few seconds to a minute,
 *  so five minutes of silence means it is off, out of reach, or stuck. */
export const ONLINE_WITHIN_MS = 5 * 60_000;

/** "Online" or "Offline", and the last contact as a time and an age. From a cached copy (the
 *  server out of reach) only the last contact is known, not whether the device is online now. */
function Contact({ lastSeen, now, fresh }: { lastSeen: string | null; now: number; fresh: boolean }) {
  const at = lastSeen ? new Date(lastSeen).getTime() : Number.NaN;
  if (Number.isNaN(at)) {
    return (
      <span className="contact unknown" data-testid="device-contact">
        <span className="dot" aria-hidden="true" /> No contact since the server started
      </span>
    );
  }
  const ago = formatAge(at, now).replace(/ old$/, " ago");
  if (!fresh) {
    return (
      <span className="contact unknown" data-testid="device-contact" title={formatTime(lastSeen ?? "")}>
        <span className="dot" aria-hidden="true" /> Last contact {ago} (cached)
      </span>
    );
  }
  const online = now - at <= ONLINE_WITHIN_MS;
  return (
    <span className={`contact ${online ? "online" : "offline"}`} data-testid="device-contact" title={formatTime(lastSeen ?? "")}>
      <span className="dot" aria-hidden="true" /> {online ? "Online" : "Offline"} · last contact {ago}
    </span>
  );
}

/** Which agent the device polls with: "airlift-agent 0.1.0" (name and version only; when it
 *  last polled is the Contact line's). The full `User-Agent` is in the tooltip. */
function Agent({ userAgent }: { userAgent: string | null }) {
  if (!userAgent) {
    return (
      <span className="muted" data-testid="device-agent">
        Not known (the device has not named its agent yet)
      </span>
    );
  }
  return (
    <span data-testid="device-agent" title={userAgent}>
      {agentLabel(userAgent)}
    </span>
  );
}

interface Props {
  id: string;
  onBack: () => void;
}

/** One device: seed 001's OTA record, why it failed (if it did), and its full update history. */
export function DevicePage({ id, onBack }: Props) {
  const { cached, live, data } = useDeviceDetail(id);
  const now = useNow();
  const [saved, setSaved] = useState<string | null>(null);
  const exportCsv = useMutation({
    mutationFn: () => ipc.deviceHistoryExport(id),
    onSuccess: (path) => setSaved(path),
  });
  // The cached copy may not know a device yet; only when both fail is it an error.
  const error = (!data ? (live.error ?? (live.isFetched ? cached.error : null)) : null) as AppError | null;
  const exportError = exportCsv.error as AppError | null;

  const head = (
    <div className="screen-head">
      <div className="title-block">
        <button type="button" className="link back" onClick={onBack}>
          ← All devices
        </button>
        <h1 id="section-title">{data?.device.name ?? id}</h1>
        <div className="muted id-line">
          <code data-testid="device-id">{id}</code> <CopyButton text={id} label="Copy device id" />
        </div>
      </div>
      <div className="actions">
        <button type="button" onClick={() => void live.refetch()} disabled={live.isFetching}>
          {live.isFetching ? "Refreshing…" : "Refresh"}
        </button>
        <button
          type="button"
          className="primary"
          onClick={() => exportCsv.mutate()}
          disabled={!data || exportCsv.isPending}
          data-testid="export-csv"
        >
          Export CSV
        </button>
      </div>
    </div>
  );

  if (!data) {
    return (
      <>
        {head}
        {error ? (
          <ErrorLine error={error} />
        ) : (
          <p className="muted">Loading the device…</p>
        )}
      </>
    );
  }

  const d = data.device;
  const failure = d.ota_status === "failed" ? newestFailure(data.history) : null;
  const reason = failure?.message ?? data.rollout?.last_message ?? null;
  return (
    <>
      {head}
      {saved && (
        <p className="ok" role="status" data-testid="export-done">
          History saved to <code>{saved}</code>
        </p>
      )}
      {exportError && (
        <ErrorLine error={exportError} />
      )}
      {!data.fresh && data.offline_reason && (
        <p className="offline-note" role="status">
          Offline: showing the history cached
          {data.synced_at_ms ? `, ${formatAge(data.synced_at_ms, now)} (synced at ${formatClock(data.synced_at_ms)})` : ""}.{" "}
          {data.offline_reason}
        </p>
      )}
      <div className="device-page">
        <section className="card device-record" aria-label="OTA status">
          <div className="record-top">
            <StatusBadge status={d.ota_status} progress={d.progress} />
            {d.ota_status === "updating" && d.progress !== null && (
              <div className="progress record-progress" aria-label={`Progress ${d.progress}%`}>
                <div className="progress-fill" style={{ width: `${d.progress}%` }} />
              </div>
            )}
          </div>
          {failure || (d.ota_status === "failed" && reason) ? (
            <div className="error-box" data-testid="failure-reason">
              <strong>Why it failed: {failure?.status ?? data.rollout?.last_status ?? (failure?.kind === "timed_out" ? "timed out" : "failure")}</strong>
              {reason && <p>{reason}</p>}
            </div>
          ) : null}
          <dl>
            <dt>Contact</dt>
            <dd>
              <Contact lastSeen={d.last_seen_at} now={now} fresh={data.fresh} />
            </dd>
            <dt>Agent</dt>
            <dd>
              <Agent userAgent={d.user_agent} />
            </dd>
            <dt>Current version</dt>
            <dd className="strong" data-testid="current-version">{d.current_version ?? "—"}</dd>
            <dt>Target version</dt>
            <dd data-testid="target-version">{d.target_version ?? "—"}</dd>
            <dt>Rollout</dt>
            <dd>
              {data.rollout ? (
                <>
                  <a
                    href={routeHash("rollouts", data.rollout.rollout_id)}
                    title={data.rollout.rollout_id}
                    data-testid="device-rollout-link"
                  >
                    {data.rollout.label ?? <code>{data.rollout.rollout_id}</code>}
                  </a>{" "}
                  <span className="muted">({rolloutStateLabel(data.rollout.state)})</span>
                </>
              ) : (
                "—"
              )}
            </dd>
            {data.download_url_expires_at && (
              <>
                <dt>Download URL</dt>
                <dd data-testid="download-url-expiry" title="The device renews it by polling">
                  valid until {formatTime(data.download_url_expires_at)}
                </dd>
              </>
            )}
            <dt>Last update</dt>
            <dd>{d.last_update_at ? formatTime(d.last_update_at) : "—"}</dd>
            <dt>Device type</dt>
            <dd>{d.device_type}</dd>
            <dt>Profile</dt>
            <dd data-testid="device-profile">
              {d.profile_id ? (
                <span title={d.profile_id}>{data.profile_name ?? <code>{d.profile_id}</code>}</span>
              ) : (
                "—"
              )}
            </dd>
          </dl>
        </section>
        <section className="card history" aria-labelledby="history-title">
          <h2 id="history-title">
            Update history <span className="muted">({data.history.length} events, newest first)</span>
          </h2>
          <Timeline history={data.history} />
        </section>
      </div>
    </>
  );
}

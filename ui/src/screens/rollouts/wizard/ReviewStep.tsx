import type { PackageSummary } from "../../../bindings/PackageSummary";
import type { PlanPreview } from "../../../bindings/PlanPreview";
import type { TargetProfile } from "../../../bindings/TargetProfile";
import type { Draft } from "./plan";
import { PlanTimeline } from "./PlanTimeline";
import { planTimeline } from "./timeline";

const STRATEGY_TEXT = { canary: "Canary", phased: "Phases", rolling: "Rolling batches", all_at_once: "All at once" } as const;

/** Step 4: exactly what starting will do, in the server's numbers. */
export function ReviewStep({
  draft,
  pkg,
  rollback,
  profile,
  preview,
  nowMs,
}: {
  nowMs: number;
  draft: Draft;
  pkg: PackageSummary | undefined;
  rollback: PackageSummary | undefined;
  profile: TargetProfile | undefined;
  preview: PlanPreview | undefined;
}) {
  const waiting = preview ? preview.eligible - preview.scheduled : 0;
  return (
    <div className="review" data-testid="review">
      {preview && (
        <div className="review-numbers">
          <div>
            <span className="big" data-testid="review-scheduled">{preview.scheduled}</span>
            <span>devices get the update at start</span>
          </div>
          <div>
            <span className="big">{waiting}</span>
            <span>wait for {draft.strategy === "phased" ? "the next phases" : `an advance${draft.strategy === "rolling" ? " (next batches)" : ""}`}</span>
          </div>
          <div>
            <span className="big">{preview.skipped}</span>
            <span>left out of {preview.eligible + preview.skipped} in the profile</span>
          </div>
        </div>
      )}
      <dl className="file-facts">
        <dt>Package</dt>
        <dd>
          <strong>{pkg ? `${pkg.device_type} ${pkg.version}` : draft.packageId}</strong>
        </dd>
        <dt>Target</dt>
        <dd>{profile ? `${profile.name} (${profile.device_type})` : draft.profileId}</dd>
        <dt>Strategy</dt>
        <dd>
          {STRATEGY_TEXT[draft.strategy]}
          {draft.strategy === "canary" && `, ${draft.canaryPercent} % first`}
          {draft.strategy === "rolling" && `, ${draft.batchPercent} % per batch`}
          {draft.strategy === "phased" && `, ${draft.phases.map((p) => `${p.percent.trim()} %`).join(" → ")}`}
          {draft.force && ", forced re-install"}
        </dd>
        <dt>Auto-pause</dt>
        <dd>
          when more than {draft.failureThreshold} % of the slice fails
          {Number(draft.minDevices) > 0 && `, once ${draft.minDevices.trim()} devices have a verdict`}
        </dd>
        <dt>Rollback</dt>
        <dd>{rollback ? `to ${rollback.version}` : "none (Rollback would only withdraw pending commands)"}</dd>
        {preview && preview.skipped_by_reason.length > 0 && (
          <>
            <dt>Left out</dt>
            <dd>{preview.skipped_by_reason.map((g) => `${g.count} ${g.reason.replace(/_/g, " ")}`).join(", ")}</dd>
          </>
        )}
      </dl>
      <PlanTimeline timeline={planTimeline(draft, preview, rollback, pkg, nowMs)} />
    </div>
  );
}

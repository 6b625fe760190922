import type { PackageSummary } from "../../../bindings/PackageSummary";
import type { PlanPreview } from "../../../bindings/PlanPreview";
import type { TargetProfile } from "../../../bindings/TargetProfile";
import type { AppError } from "../../../ipc";
import { describedBy, Field } from "./Field";
import type { Draft, Problems } from "./plan";
import { PreviewFacts } from "./PreviewFacts";

interface Props {
  draft: Draft;
  set: (patch: Partial<Draft>) => void;
  packages: PackageSummary[];
  profiles: TargetProfile[];
  profilesLoading: boolean;
  problems: Problems;
  preview: { data: PlanPreview | undefined; loading: boolean; error: AppError | null };
  blocking: string | null;
  /** Devices on a newer version than the package, from a preview without the downgrade. */
  newerDevices: number;
  onOpenRollout?: (id: string) => void;
}

/** Step 1: which package goes to which profile, and how many devices can take it. */
export function TargetStep({ draft, set, packages, profiles, profilesLoading, problems, preview, blocking, newerDevices, onOpenRollout }: Props) {
  const pkg = packages.find((p) => p.id === draft.packageId);
  const conflict = preview.data?.conflicting_rollout_id ?? null;
  return (
    <>
      <div className="field-row">
        <Field id="w-package" label="Package" problem={problems.packageId}>
          <select
            id="w-package"
            value={draft.packageId}
            onChange={(e) => set({ packageId: e.target.value })}
            {...describedBy("w-package", problems.packageId)}
          >
            <option value="">Choose a package…</option>
            {packages.map((p) => (
              <option key={p.id} value={p.id}>
                {p.device_type} {p.version} ({p.type}){p.signature_status === "verified" ? " ✓ signed" : ""}
              </option>
            ))}
          </select>
        </Field>
        <Field id="w-profile" label="Target profile" problem={problems.profileId}>
          <select
            id="w-profile"
            value={draft.profileId}
            onChange={(e) => set({ profileId: e.target.value })}
            {...describedBy("w-profile", problems.profileId)}
          >
            <option value="">{profilesLoading ? "Loading profiles…" : "Choose a profile…"}</option>
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.device_type})
              </option>
            ))}
          </select>
        </Field>
      </div>
      <PreviewFacts preview={preview.data} loading={preview.loading} error={preview.error} />
      {newerDevices > 0 && (
        <div className="notice downgrade" data-testid="downgrade-warning">
          <p>
            <strong>{newerDevices}</strong> device{newerDevices === 1 ? " runs" : "s run"} a newer version than {pkg?.version ?? "this package"}.{" "}
            {draft.allowDowngrade
              ? `They are included and will be taken back to ${pkg?.version ?? "this version"}.`
              : "They are left out: a rollout never downgrades a device unless you allow it."}
          </p>
          <label className="radio">
            <input type="checkbox" checked={draft.allowDowngrade} onChange={(e) => set({ allowDowngrade: e.target.checked })} /> Allow downgrade
          </label>
        </div>
      )}
      {blocking && (
        <p className="field-error" role="alert" data-testid="preview-problem">
          {blocking}
          {conflict && onOpenRollout && (
            <>
              {" "}
              <button type="button" className="link" onClick={() => onOpenRollout(conflict)} data-testid="open-conflicting-rollout">
                Open rollout {conflict}
              </button>
            </>
          )}
        </p>
      )}
    </>
  );
}

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
}

/** Step 1: which package goes to which profile, and how many devices can take it. */
export function TargetStep({ draft, set, packages, profiles, profilesLoading, problems, preview, blocking }: Props) {
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
      {blocking && (
        <p className="field-error" role="alert" data-testid="preview-problem">
          {blocking}
        </p>
      )}
    </>
  );
}

import { useState } from "react";
import type { PayloadKind } from "../../bindings/PayloadKind";
import { startRolloutHash } from "../../lib/route";
import { InlinePackageForm } from "./InlinePackageForm";
import { useUpload } from "./UploadProvider";
import { UploadWizard } from "./UploadWizard";

const KINDS: { kind: PayloadKind; label: string }[] = [
  { kind: "FILE", label: "File (upload a build)" },
  { kind: "JSON", label: "JSON configuration" },
  { kind: "URL_LIST", label: "URL list" },
];

/** A new package as a page of the catalog section: a file through the upload wizard, or (seed
 *  002) a JSON or URL list package; `onShowPackage` opens a published package. */
export function UploadScreen({ onShowPackage }: { onShowPackage: (id: string) => void }) {
  const upload = useUpload();
  const [kind, setKind] = useState<PayloadKind>("FILE");
  return (
    <>
      <div className="screen-head">
        <h1 id="section-title">{kind === "FILE" ? "Upload a package" : "New package"}</h1>
        <button type="button" onClick={upload.close}>
          Back to catalog
        </button>
      </div>
      <div className="segmented" role="radiogroup" aria-label="Package type">
        {KINDS.map((k) => (
          <label key={k.kind} className={kind === k.kind ? "selected" : undefined}>
            <input type="radio" name="payload-kind" value={k.kind} checked={kind === k.kind} onChange={() => setKind(k.kind)} data-testid={`kind-${k.kind}`} />
            {k.label}
          </label>
        ))}
      </div>
      {kind === "FILE" ? (
        <UploadWizard
          onShowPackage={(id) => {
            upload.reset();
            upload.close();
            onShowPackage(id);
          }}
        />
      ) : (
        <InlinePackageForm
          key={kind}
          kind={kind}
          onShowPackage={(id) => {
            upload.close();
            onShowPackage(id);
          }}
          onStartRollout={(id) => {
            upload.close();
            window.location.hash = startRolloutHash(id);
          }}
        />
      )}
    </>
  );
}

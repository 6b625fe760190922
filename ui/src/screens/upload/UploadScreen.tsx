import { useUpload } from "./UploadProvider";
import { UploadWizard } from "./UploadWizard";

/** The upload wizard as a page of the catalog section; `onShowPackage` opens a published package. */
export function UploadScreen({ onShowPackage }: { onShowPackage: (id: string) => void }) {
  const upload = useUpload();
  return (
    <>
      <div className="screen-head">
        <h1 id="section-title">Upload a package</h1>
        <button type="button" onClick={upload.close}>
          Back to catalog
        </button>
      </div>
      <UploadWizard
        onShowPackage={(id) => {
          upload.reset();
          upload.close();
          onShowPackage(id);
        }}
      />
    </>
  );
}

import { ChooseStep } from "./ChooseStep";
import { DetailsForm } from "./DetailsForm";
import { fieldOfError, type DetailErrors } from "./details";
import { ResultStep } from "./ResultStep";
import { SigningStep } from "./SigningStep";
import { UploadingStep } from "./UploadingStep";
import { useUpload, type Step } from "./UploadProvider";
import { ErrorLine } from "../../components/ErrorLine";

const STEPS: { id: Step[]; label: string }[] = [
  { id: ["choose", "hashing"], label: "File" },
  { id: ["details"], label: "Details" },
  { id: ["signing"], label: "Signing" },
  { id: ["uploading"], label: "Upload" },
  { id: ["done", "failed"], label: "Result" },
];

/** The upload wizard: file → hash → details → signing → upload → the server's verdict. */
export function UploadWizard({ onShowPackage }: { onShowPackage: (id: string) => void }) {
  const u = useUpload();
  const current = STEPS.findIndex((s) => s.id.includes(u.step));
  const field = u.error ? fieldOfError(u.error.code, u.error.message) : null;
  const serverErrors: DetailErrors = field && u.error ? { [field]: u.error.message } : {};
  return (
    <div className="wizard" data-testid="upload-wizard">
      <ol className="steps" aria-label="Upload steps">
        {STEPS.map((s, i) => (
          <li key={s.label} className={i === current ? "current" : i < current ? "done" : ""} aria-current={i === current ? "step" : undefined}>
            {s.label}
          </li>
        ))}
      </ol>
      {u.error && (u.step === "choose") && (
        <ErrorLine error={u.error} />
      )}
      {(u.step === "choose" || u.step === "hashing") && <ChooseStep />}
      {u.step === "details" && u.file && (
        <DetailsForm
          key={u.file.sha256}
          fileName={u.file.file_name}
          sizeBytes={u.file.size_bytes}
          sha256={u.file.sha256}
          initial={u.details}
          serverErrors={serverErrors}
          onBack={u.reset}
          onSubmit={(d) => {
            u.setDetails(d);
            u.goTo("signing");
          }}
        />
      )}
      {u.step === "signing" && <SigningStep />}
      {u.step === "uploading" && <UploadingStep />}
      {(u.step === "done" || u.step === "failed") && <ResultStep onShowPackage={onShowPackage} />}
    </div>
  );
}

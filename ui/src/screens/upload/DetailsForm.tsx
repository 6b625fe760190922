import { useState, type FormEvent } from "react";
import { formatBytes } from "../../lib/format";
import { validateDetails, type DetailErrors, type Details, type TextField } from "./details";
import { useFieldErrors } from "../../lib/fieldErrors";
import { FieldError } from "../../components/FieldError";
import { CopyButton } from "../../components/CopyButton";

interface Props {
  fileName: string;
  sizeBytes: number;
  sha256: string;
  initial: Details;
  /** An error the server gave for one field (e.g. the version already exists), read when the
   *  form opens: from then on the form's own (useFieldErrors) until the field is edited. */
  serverErrors?: DetailErrors;
  onBack: () => void;
  onSubmit: (details: Details) => void;
}

/** Step 3: what the package is. Errors appear next to their field once the person submits (or
 *  the server refused the upload for one); editing a field takes its error away (useFieldErrors). */
export function DetailsForm({ fileName, sizeBytes, sha256, initial, serverErrors, onBack, onSubmit }: Props) {
  const [d, setD] = useState<Details>(initial);
  // The form opens with the server's errors: it is shown anew after each refused upload.
  const { errors, setErrors, edited } = useFieldErrors<keyof Details>(serverErrors);
  const set = (field: TextField | "type") => (value: string) => {
    setD((old) => ({ ...old, [field]: value }));
    edited(field);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = validateDetails(d, sha256);
    // What is left of the old errors is about fields not edited since: a check's error would be
    // found again, and the server's verdict (which these checks cannot make) still stands.
    setErrors((old) => ({ ...old, ...found }));
    if (Object.keys(found).length === 0) onSubmit(d);
  };

  const text = (field: TextField, label: string, placeholder: string) => (
    <div className="field">
      <label htmlFor={`f-${field}`}>{label}</label>
      <input
        id={`f-${field}`}
        name={field}
        value={d[field]}
        placeholder={placeholder}
        aria-invalid={errors[field] ? true : undefined}
        aria-describedby={errors[field] ? `e-${field}` : undefined}
        onChange={(e) => set(field)(e.target.value)}
      />
      <FieldError id={`e-${field}`} message={errors[field]} />
    </div>
  );

  return (
    <form className="wizard-step" onSubmit={submit} noValidate aria-labelledby="details-title">
      <h2 id="details-title">Describe the package</h2>
      <dl className="file-facts">
        <dt>File</dt>
        <dd data-testid="picked-file">{fileName}</dd>
        <dt>Size</dt>
        <dd>{formatBytes(sizeBytes)}</dd>
        <dt>SHA-256</dt>
        <dd>
          <code className="checksum" data-testid="file-sha256">{sha256}</code> <CopyButton text={sha256} label="Copy SHA-256" />
        </dd>
      </dl>
      <div className="field-row">
        {text("version", "Version", "2.1.0")}
        <div className="field">
          <label htmlFor="f-type">Type</label>
          <select id="f-type" name="type" value={d.type} onChange={(e) => set("type")(e.target.value)}>
            <option value="fw">Firmware (fw)</option>
            <option value="sw">Software (sw)</option>
          </select>
        </div>
      </div>
      <div className="field-row">
        {text("deviceType", "Device type", "temp-sensor")}
        {text("minVersion", "Minimum installed version", "1.0.0")}
      </div>
      {text("expectedSha256", "Expected SHA-256 (optional, from your build system)", "64 hex digits")}
      <div className="field">
        <label htmlFor="f-releaseNotes">Release notes</label>
        <textarea
          id="f-releaseNotes"
          name="releaseNotes"
          rows={4}
          value={d.releaseNotes}
          aria-invalid={errors.releaseNotes ? true : undefined}
          onChange={(e) => set("releaseNotes")(e.target.value)}
        />
        <FieldError id="e-releaseNotes" message={errors.releaseNotes} />
      </div>
      <div className="field">
        <label className="radio" htmlFor="f-encrypt">
          <input
            id="f-encrypt"
            type="checkbox"
            role="switch"
            name="encrypt"
            checked={d.encrypt}
            aria-describedby="f-encrypt-note"
            onChange={(e) => setD((old) => ({ ...old, encrypt: e.target.checked }))}
          />{" "}
          Encrypt stored image
        </label>
        <p className="muted" id="f-encrypt-note">
          The server keeps the image and the package encrypted (AES-256-GCM); each device receives the key with its
          assignment and decrypts what it downloads.
        </p>
      </div>
      <div className="actions">
        <button type="button" onClick={onBack}>
          Choose another file
        </button>
        <button type="submit" className="primary">
          Next: signing
        </button>
      </div>
    </form>
  );
}

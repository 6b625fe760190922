import { FieldError } from "../components/FieldError";
import { MIN_PASSPHRASE, type KeyErrors } from "./keyForms";

/** A new passphrase and its confirmation, with their errors. `prefix` keeps ids unique. */
export function PassphraseFields(props: {
  prefix: string;
  passphrase: string;
  confirm: string;
  errors: KeyErrors;
  onPassphrase: (v: string) => void;
  onConfirm: (v: string) => void;
}) {
  const { prefix, errors } = props;
  return (
    <div className="field-row">
      <div className="field">
        <label htmlFor={`${prefix}-passphrase`}>Passphrase</label>
        <input
          id={`${prefix}-passphrase`}
          type="password"
          autoComplete="new-password"
          value={props.passphrase}
          aria-invalid={errors.passphrase ? true : undefined}
          aria-describedby={errors.passphrase ? `${prefix}e-passphrase` : `${prefix}-passphrase-hint`}
          onChange={(e) => props.onPassphrase(e.target.value)}
        />
        <FieldError id={`${prefix}e-passphrase`} message={errors.passphrase} />
        {!errors.passphrase && (
          <p id={`${prefix}-passphrase-hint`} className="hint muted">
            At least {MIN_PASSPHRASE} characters. Asked each time you sign; it cannot be recovered.
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${prefix}-confirm`}>Repeat passphrase</label>
        <input
          id={`${prefix}-confirm`}
          type="password"
          autoComplete="new-password"
          value={props.confirm}
          aria-invalid={errors.confirm ? true : undefined}
          aria-describedby={errors.confirm ? `${prefix}e-confirm` : undefined}
          onChange={(e) => props.onConfirm(e.target.value)}
        />
        <FieldError id={`${prefix}e-confirm`} message={errors.confirm} />
      </div>
    </div>
  );
}

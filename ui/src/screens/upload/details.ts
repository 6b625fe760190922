// The wizard's metadata form: values and their validation (errors are shown next to fields).
import type { PackageKind } from "../../bindings/PackageKind";
import { isSemver } from "../../lib/semver";

export interface Details {
  version: string;
  type: PackageKind;
  deviceType: string;
  minVersion: string;
  releaseNotes: string;
  /** Optional: the SHA-256 the build system published, compared with the measured one. */
  expectedSha256: string;
  /** Store the image encrypted on the server (seed 003's `datafile_encryption`). */
  encrypt: boolean;
}

export type DetailErrors = Partial<Record<keyof Details, string>>;

/** The form's text fields (everything but the encryption switch). */
export type TextField = Exclude<keyof Details, "encrypt" | "type">;

export const EMPTY_DETAILS: Details = {
  version: "",
  type: "fw",
  deviceType: "",
  minVersion: "",
  releaseNotes: "",
  expectedSha256: "",
  encrypt: false,
};

/** The version a build's file name carries ("fw-2.1.0.bin" → "2.1.0", "sensor_v2.1.0-rc.1.img" →
 *  "2.1.0-rc.1"), to suggest in the form; null when it names none. */
export function versionFromFileName(fileName: string): string | null {
  // Without its extensions first: a pre-release part would take ".bin" in as one of its own.
  const stem = fileName.replace(/(\.[A-Za-z][A-Za-z0-9]{0,4})+$/, "");
  const found = /\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?/.exec(stem)?.[0];
  if (!found) return null;
  if (isSemver(found)) return found;
  const core = /^\d+\.\d+\.\d+/.exec(found)?.[0] ?? "";
  return isSemver(core) ? core : null;
}

export function validateDetails(d: Details, measuredSha256: string | null): DetailErrors {
  const errors: DetailErrors = {};
  if (!d.version.trim()) errors.version = "Enter the package version, e.g. 2.1.0.";
  else if (!isSemver(d.version))
    errors.version = `"${d.version.trim()}" is not a semantic version (MAJOR.MINOR.PATCH, e.g. 2.1.0).`;
  if (!d.deviceType.trim()) errors.deviceType = "Enter the device type this package is for.";
  else if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(d.deviceType.trim()))
    errors.deviceType = "Use letters, digits, '.', '_' or '-' only.";
  if (!d.minVersion.trim()) errors.minVersion = "Enter the lowest version devices must run, e.g. 1.0.0.";
  else if (!isSemver(d.minVersion))
    errors.minVersion = `"${d.minVersion.trim()}" is not a semantic version.`;
  const expected = d.expectedSha256.trim().toLowerCase();
  if (expected) {
    if (!/^[0-9a-f]{64}$/.test(expected)) errors.expectedSha256 = "A SHA-256 is 64 hexadecimal digits.";
    else if (measuredSha256 && expected !== measuredSha256)
      errors.expectedSha256 = `Checksum mismatch: the file's SHA-256 is ${measuredSha256}, not the expected one.`;
  }
  if (d.releaseNotes.length > 10_000) errors.releaseNotes = "Keep release notes under 10,000 characters.";
  return errors;
}

/** Which form field a server error belongs to, from its code and "field: …" message. */
export function fieldOfError(code: string, message: string): keyof Details | null {
  if (code === "ALREADY_EXISTS") return "version";
  const m = /^(version|min_version|device_type|release_notes)\b/.exec(message);
  if (!m) return null;
  return ({ version: "version", min_version: "minVersion", device_type: "deviceType", release_notes: "releaseNotes" } as const)[
    m[1] as "version" | "min_version" | "device_type" | "release_notes"
  ];
}

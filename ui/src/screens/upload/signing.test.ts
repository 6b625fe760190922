import type { KeyRegistrations } from "../../bindings/KeyRegistrations";
import type { SigningKeyInfo } from "../../bindings/SigningKeyInfo";
import { defaultKeyId, signingProblem, signingRefusal } from "./signing";

const key = (name: string, fp: string, demo = false): SigningKeyInfo => ({
  key_id: `key-${name}`,
  name,
  algorithm: "ed25519",
  fingerprint: fp.repeat(64),
  demo,
});
const DEMO = key("Demo release key", "d", true);
const CI = key("ci-key", "c");
const FIELD = key("field-2026", "f");
const fleet = (required: boolean, ...trusted: SigningKeyInfo[]): KeyRegistrations => ({
  connection: "Lab fleet",
  registered: trusted.map((k) => ({ fingerprint: k.fingerprint, tenant_key_id: `srv-${k.name}` })),
  signatures_required: required,
});

describe("the signing step's default", () => {
  it("is unsigned when the tenant does not require signatures, or is not known yet", () => {
    expect(defaultKeyId([CI], fleet(false, CI))).toBeNull();
    expect(defaultKeyId([CI], undefined)).toBeNull();
  });

  it("is the trusted demo key when the tenant requires signatures", () => {
    expect(defaultKeyId([CI, DEMO], fleet(true, CI, DEMO))).toBe(DEMO.key_id);
  });

  it("is the only trusted key, and no key when several or none are trusted", () => {
    expect(defaultKeyId([CI, FIELD], fleet(true, CI))).toBe(CI.key_id);
    expect(defaultKeyId([CI, FIELD], fleet(true, CI, FIELD))).toBeNull();
    expect(defaultKeyId([CI, DEMO], fleet(true))).toBeNull();
  });
});

describe("what the tenant would refuse", () => {
  it("nothing when unsigned is allowed or the key is trusted", () => {
    expect(signingProblem(null, [CI], fleet(false))).toBeNull();
    expect(signingProblem(CI.key_id, [CI], fleet(true, CI))).toBeNull();
    expect(signingProblem(null, [CI], undefined)).toBeNull();
  });

  it("no key where signatures are required, naming the key to register", () => {
    expect(signingProblem(null, [CI], fleet(true))).toBe(
      "Lab fleet requires signed packages: choose a key, or register 'ci-key' in Settings > Signing keys.",
    );
    expect(signingProblem(null, [CI], fleet(true, CI))).toBe("Lab fleet requires signed packages: choose a key.");
    expect(signingProblem(null, [], fleet(true))).toMatch(/create a key/);
  });

  it("a key the tenant does not trust, even where unsigned packages are allowed", () => {
    for (const required of [true, false]) {
      expect(signingProblem(CI.key_id, [CI, FIELD], fleet(required, FIELD))).toBe(
        "Lab fleet does not trust 'ci-key', so it would refuse the package: register 'ci-key' (Register with server, above, or Settings > Signing keys), or choose a registered key.",
      );
    }
  });
});

describe("a refusal said by the backend before uploading", () => {
  it("is recognised by its code and prefix, and shown without the prefix", () => {
    expect(signingRefusal("FAILED_PRECONDITION", "signing: Lab fleet requires signed packages")).toBe(
      "Lab fleet requires signed packages",
    );
    expect(signingRefusal("FAILED_PRECONDITION", "another upload is running")).toBeNull();
    expect(signingRefusal("VERIFICATION_FAILED", "signing: x")).toBeNull();
  });
});

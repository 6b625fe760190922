import { describe, expect, it } from "vitest";
import { actionLabel, objectHash, objectTypeLabel } from "./objectLink";

describe("an audit entry's object", () => {
  it("opens in its own screen where it has one", () => {
    expect(objectHash("rollout", "rol_1")).toBe("#/rollouts/rol_1");
    expect(objectHash("package", "pkg/1")).toBe("#/catalog/pkg%2F1");
    expect(objectHash("device", "dev_1")).toBe("#/devices/dev_1");
    expect(objectHash("api_token", "tok_1")).toBe("#/settings");
    expect(objectHash("image", "img_1")).toBeNull();
    expect(objectHash("upload_job", "job_1")).toBeNull();
  });

  it("reads as words", () => {
    expect(actionLabel("rollout.retry_failed")).toBe("rollout · retry failed");
    expect(actionLabel("upload_job.delete")).toBe("upload job · delete");
    expect(objectTypeLabel("signing_key")).toBe("signing key");
  });
});

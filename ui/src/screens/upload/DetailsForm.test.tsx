import { fireEvent, render, screen } from "@testing-library/react";
import { vi } from "vitest";
import { DetailsForm } from "./DetailsForm";
import { EMPTY_DETAILS, fieldOfError, validateDetails, versionFromFileName } from "./details";

const SHA = "a".repeat(64);

function setup(onSubmit = vi.fn()) {
  render(
    <DetailsForm fileName="fw.bin" sizeBytes={1024} sha256={SHA} initial={EMPTY_DETAILS} onBack={() => {}} onSubmit={onSubmit} />,
  );
  return onSubmit;
}

describe("upload details form", () => {
  it("shows each error next to its field and does not submit", () => {
    const onSubmit = setup();
    fireEvent.change(screen.getByLabelText("Version"), { target: { value: "2.1" } });
    fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
    const version = screen.getByLabelText("Version");
    expect(version).toHaveAttribute("aria-invalid", "true");
    expect(version).toHaveAccessibleDescription(/not a semantic version/);
    expect(screen.getByLabelText("Device type")).toHaveAccessibleDescription(/device type/);
    expect(screen.getByLabelText("Minimum installed version")).toHaveAccessibleDescription(/lowest version/);
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("flags an expected checksum that does not match the file", () => {
    const onSubmit = setup();
    fireEvent.change(screen.getByLabelText("Version"), { target: { value: "2.1.0" } });
    fireEvent.change(screen.getByLabelText("Device type"), { target: { value: "temp-sensor" } });
    fireEvent.change(screen.getByLabelText("Minimum installed version"), { target: { value: "1.0.0" } });
    fireEvent.change(screen.getByLabelText(/Expected SHA-256/), { target: { value: "b".repeat(64) } });
    fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
    expect(screen.getByLabelText(/Expected SHA-256/)).toHaveAccessibleDescription(/Checksum mismatch/);
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("submits valid details", () => {
    const onSubmit = setup();
    fireEvent.change(screen.getByLabelText("Version"), { target: { value: "2.1.0-rc.1" } });
    fireEvent.change(screen.getByLabelText("Device type"), { target: { value: "temp-sensor" } });
    fireEvent.change(screen.getByLabelText("Minimum installed version"), { target: { value: "1.0.0" } });
    fireEvent.change(screen.getByLabelText(/Expected SHA-256/), { target: { value: SHA.toUpperCase() } });
    fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
    expect(onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({ version: "2.1.0-rc.1", deviceType: "temp-sensor", encrypt: false }),
    );
  });

  it("sends the encryption switch with the details", () => {
    const onSubmit = setup();
    fireEvent.change(screen.getByLabelText("Version"), { target: { value: "2.1.0" } });
    fireEvent.change(screen.getByLabelText("Device type"), { target: { value: "temp-sensor" } });
    fireEvent.change(screen.getByLabelText("Minimum installed version"), { target: { value: "1.0.0" } });
    const toggle = screen.getByRole("switch", { name: "Encrypt stored image" });
    expect(toggle).not.toBeChecked();
    expect(toggle).toHaveAccessibleDescription(/decrypts what it downloads/);
    fireEvent.click(toggle);
    fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
    expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ version: "2.1.0", encrypt: true }));
  });

  it("takes the server's error on a field away once that field is edited, and keeps it until then", () => {
    const filled = { ...EMPTY_DETAILS, version: "3.0.0", deviceType: "temp-sensor", minVersion: "1.0.0" };
    const onSubmit = vi.fn();
    render(
      <DetailsForm
        fileName="fw.bin"
        sizeBytes={1024}
        sha256={SHA}
        initial={filled}
        serverErrors={{ version: "package temp-sensor 3.0.0 already exists" }}
        onBack={() => {}}
        onSubmit={onSubmit}
      />,
    );
    const version = screen.getByLabelText("Version");
    expect(version).toHaveAccessibleDescription(/already exists/);

    // Another field edited, and a submit the form's own checks stop: the server's verdict on the
    // version still stands, the version being the one it judged.
    fireEvent.change(screen.getByLabelText("Minimum installed version"), { target: { value: "1.0" } });
    expect(version).toHaveAccessibleDescription(/already exists/);
    fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
    expect(screen.getByLabelText("Minimum installed version")).toHaveAccessibleDescription(/not a semantic version/);
    expect(version).toHaveAccessibleDescription(/already exists/);
    expect(onSubmit).not.toHaveBeenCalled();

    // The version edited: the server's error was about the old one.
    fireEvent.change(version, { target: { value: "3.0.1" } });
    expect(screen.queryByText(/already exists/)).toBeNull();
    expect(version).not.toHaveAttribute("aria-invalid");
    expect(screen.getByLabelText("Minimum installed version")).toHaveAccessibleDescription(/not a semantic version/);
  });

  it("takes its own check's error away once that field is edited, the others staying until the next submit", () => {
    setup();
    fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
    expect(screen.getByLabelText("Version")).toHaveAccessibleDescription(/Enter the package version/);
    expect(screen.getByLabelText("Device type")).toHaveAccessibleDescription(/device type/);
    // Edited, even if not right yet: the error was about the old value.
    fireEvent.change(screen.getByLabelText("Version"), { target: { value: "2" } });
    expect(screen.getByLabelText("Version")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByLabelText("Device type")).toHaveAccessibleDescription(/device type/);
    fireEvent.click(screen.getByRole("button", { name: "Next: signing" }));
    expect(screen.getByLabelText("Version")).toHaveAccessibleDescription(/not a semantic version/);
  });

  it("maps server errors to fields", () => {
    expect(fieldOfError("ALREADY_EXISTS", "package temp-sensor 2.0.0 exists")).toBe("version");
    expect(fieldOfError("INVALID_ARGUMENT", "min_version: nope")).toBe("minVersion");
    expect(fieldOfError("VERIFICATION_FAILED", "sha256 mismatch")).toBeNull();
    expect(validateDetails({ ...EMPTY_DETAILS, version: "1.0.0", deviceType: "x", minVersion: "1.0.0" }, SHA)).toEqual({});
  });
});

describe("version from a file name", () => {
  it("finds the semantic version a build's name carries, and nothing where there is none", () => {
    expect(versionFromFileName("fw-2.1.0.bin")).toBe("2.1.0");
    expect(versionFromFileName("temp-sensor_v2.1.0-rc.1.img")).toBe("2.1.0-rc.1");
    expect(versionFromFileName("gateway-10.0.3+build.7.tar.gz")).toBe("10.0.3+build.7");
    expect(versionFromFileName("firmware.bin")).toBeNull();
    expect(versionFromFileName("fw-2.1.bin")).toBeNull();
    expect(versionFromFileName("fw-01.2.3.bin")).toBeNull();
  });
});

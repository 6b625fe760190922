import { formatBytes } from "../../lib/format";
import { ProgressBar } from "../../components/ProgressBar";
import { useFileDrop } from "./useFileDrop";
import { useUpload } from "./UploadProvider";
import { ImageQuota } from "./ImageQuota";

/** Step 1 and 2: choose (or drop) a file, watch it being hashed. */
export function ChooseStep() {
  const u = useUpload();
  if (u.step === "hashing") {
    const done = u.hash?.done ?? 0;
    const total = u.hash?.total ?? 0;
    return (
      <section className="wizard-step" aria-labelledby="hashing-title">
        <h2 id="hashing-title">Checking the file</h2>
        <p className="muted">Computing its SHA-256, the checksum devices and the server verify.</p>
        <ProgressBar done={done} total={total} label="Hashing progress" />
        <p className="muted" data-testid="hash-progress">
          {formatBytes(done)} of {formatBytes(total)}
        </p>
      </section>
    );
  }
  return <DropTarget />;
}

function DropTarget() {
  const u = useUpload();
  const hovering = useFileDrop((dropped) => {
    if ("path" in dropped) void u.hashPath(dropped.path);
    else u.fail({ code: "INVALID_ARGUMENT", message: dropped.error });
  });
  return (
    <section
      className={hovering ? "wizard-step drop-zone dragging" : "wizard-step drop-zone"}
      aria-labelledby="choose-title"
      data-testid="drop-zone"
      data-dragging={hovering || undefined}
    >
      <h2 id="choose-title">{hovering ? "Drop the build to check it" : "Choose a build"}</h2>
      <p className="muted">A firmware image or software package, as your build produced it. Drop it here, or:</p>
      <button type="button" className="primary" onClick={() => void u.choose()} data-testid="choose-file">
        Choose file…
      </button>
      <ImageQuota />
    </section>
  );
}

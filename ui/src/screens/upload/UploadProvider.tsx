// The upload wizard's state, kept above the screens so an upload keeps running (and shows in
// the status bar) while the person looks at something else.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import type { HashedFile } from "../../bindings/HashedFile";
import type { HashProgress } from "../../bindings/HashProgress";
import type { PendingUpload } from "../../bindings/PendingUpload";
import type { TransferProgress } from "../../bindings/TransferProgress";
import type { UploadOutcome } from "../../bindings/UploadOutcome";
import * as ipc from "../../ipc";
import type { AppError } from "../../ipc";
import { EMPTY_DETAILS, fieldOfError, versionFromFileName, type Details } from "./details";
import { signingRefusal } from "./signing";

export type Step = "choose" | "hashing" | "details" | "signing" | "uploading" | "done" | "failed";
export type Stage = "transfer" | "verifying" | "publishing" | "paused";

export interface UploadState {
  open: boolean;
  step: Step;
  file: HashedFile | null;
  hash: HashProgress | null;
  details: Details;
  keyId: string | null;
  /** The person chose the key (or "Don't sign"); until then the step may suggest one. */
  keyChosen: boolean;
  transfer: TransferProgress | null;
  stage: Stage;
  outcome: UploadOutcome | null;
  error: AppError | null;
}

const INITIAL: UploadState = {
  open: false,
  step: "choose",
  file: null,
  hash: null,
  details: EMPTY_DETAILS,
  keyId: null,
  keyChosen: false,
  transfer: null,
  stage: "transfer",
  outcome: null,
  error: null,
};

interface UploadApi extends UploadState {
  openWizard: () => void;
  close: () => void;
  reset: () => void;
  choose: () => Promise<void>;
  /** Hashes a file given by path (dropped on the window). */
  hashPath: (path: string) => Promise<void>;
  /** Shows an error on the current step. */
  fail: (error: AppError) => void;
  setDetails: (d: Details) => void;
  goTo: (step: Step) => void;
  setKey: (keyId: string | null) => void;
  /** Preselects a key without counting as the person's choice (what the tenant requires). */
  suggestKey: (keyId: string | null) => void;
  /** After a refusal: back to the details with the file, every field and the key kept. */
  fixAndRetry: () => void;
  /** Starts (or, after a pause, continues) the upload; the passphrase is kept in memory only. */
  start: (passphrase?: string) => Promise<void>;
  /** The passphrase of the last start (memory only), so a refused upload is retried without retyping it. */
  lastPassphrase: () => string;
  pause: () => Promise<void>;
  cancel: () => Promise<void>;
  resume: (pending: PendingUpload) => void;
}

const Ctx = createContext<UploadApi | null>(null);

export function useUpload(): UploadApi {
  const api = useContext(Ctx);
  if (!api) throw new Error("useUpload outside UploadProvider");
  return api;
}

export function UploadProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<UploadState>(INITIAL);
  const passphrase = useRef("");
  // Set by "Cancel upload" while the transfer runs, so its CANCELLED is not taken for a pause.
  const cancelling = useRef(false);
  const queries = useQueryClient();
  const patch = useCallback((p: Partial<UploadState>) => setState((s) => ({ ...s, ...p })), []);

  const hashPath = useCallback(
    async (path: string) => {
      patch({ step: "hashing", hash: null, file: null, error: null });
      try {
        const file = await ipc.hashFile(path, (hash) => patch({ hash }));
        // The version the file name carries is suggested; one the person typed stays.
        setState((s) => {
          const suggested = versionFromFileName(file.file_name);
          const details = !s.details.version.trim() && suggested ? { ...s.details, version: suggested } : s.details;
          return { ...s, file, details, step: "details" };
        });
      } catch (error) {
        patch({ step: "choose", error: error as AppError });
      }
    },
    [patch],
  );

  const choose = useCallback(async () => {
    let path: string | null;
    try {
      path = await ipc.pickFile();
    } catch (error) {
      patch({ error: error as AppError });
      return;
    }
    if (path) await hashPath(path);
  }, [patch, hashPath]);

  const run = useCallback(
    async (s: UploadState, passphrase: string) => {
      if (!s.file) return;
      cancelling.current = false;
      patch({ step: "uploading", stage: "transfer", error: null, outcome: null });
      try {
        const outcome = await ipc.uploadPackage(
          {
            path: s.file.path,
            sha256: s.file.sha256,
            type: s.details.type,
            version: s.details.version.trim(),
            device_type: s.details.deviceType.trim(),
            min_version: s.details.minVersion.trim(),
            release_notes: s.details.releaseNotes,
            key_id: s.keyId,
            passphrase: s.keyId ? passphrase : undefined,
          },
          (event) => {
            if (event.stage === "transfer") {
              const { stage: _stage, ...transfer } = event;
              patch({ transfer });
            } else patch({ stage: event.stage });
          },
        );
        patch({ step: "done", outcome });
      } catch (e) {
        const error = e as AppError;
        if (error.code === "CANCELLED" && cancelling.current) {
          // Cancelled for good: the Rust side deleted the job and its parts.
          patch({
            step: "failed",
            error: { code: "CANCELLED", message: `You cancelled the upload of ${s.file.file_name} ${s.details.version.trim()}.` },
          });
        } else if (error.code === "CANCELLED" || error.code === "OFFLINE") {
          // Paused (or the network went away): the parts stay; Resume continues.
          patch({ stage: "paused", error: error.code === "OFFLINE" ? error : null });
        } else if (error.code === "WRONG_PASSPHRASE" || signingRefusal(error.code, error.message) !== null) {
          patch({ step: "signing", error });
        } else if (fieldOfError(error.code, error.message)) {
          patch({ step: "details", error });
        } else {
          patch({ step: "failed", error });
        }
      } finally {
        void queries.invalidateQueries({ queryKey: ["catalog"] });
        void queries.invalidateQueries({ queryKey: ["pending-upload"] });
        void queries.invalidateQueries({ queryKey: ["image-quota"] });
      }
    },
    [patch, queries],
  );

  const api = useMemo<UploadApi>(
    () => ({
      ...state,
      openWizard: () => patch({ open: true }),
      close: () => patch({ open: false }),
      reset: () => {
        passphrase.current = "";
        setState({ ...INITIAL, open: true });
      },
      choose,
      hashPath,
      fail: (error) => patch({ error }),
      setDetails: (details) => patch({ details }),
      goTo: (step) => patch({ step, error: null }),
      setKey: (keyId) => patch({ keyId, keyChosen: true, error: null }),
      suggestKey: (keyId) => patch({ keyId }),
      fixAndRetry: () => patch({ step: "details", error: null, outcome: null, transfer: null, stage: "transfer" }),
      start: (given) => {
        if (given !== undefined) passphrase.current = given;
        return run(state, passphrase.current);
      },
      lastPassphrase: () => passphrase.current,
      pause: async () => {
        await ipc.uploadPause().catch(() => undefined);
      },
      cancel: async () => {
        if (state.stage === "paused") {
          await ipc.pendingUploadDiscard().catch(() => undefined);
          setState({ ...INITIAL, open: true });
          void queries.invalidateQueries({ queryKey: ["pending-upload"] });
          return;
        }
        cancelling.current = true;
        await ipc.uploadCancel().catch(() => undefined);
      },
      resume: (pending) => {
        const r = pending.request;
        const next: UploadState = {
          ...INITIAL,
          open: true,
          file: { path: r.path, file_name: pending.file_name, size_bytes: pending.size_bytes, sha256: r.sha256 },
          details: {
            version: r.version,
            type: r.type,
            deviceType: r.device_type,
            minVersion: r.min_version,
            releaseNotes: r.release_notes,
            expectedSha256: "",
          },
          keyId: r.key_id,
          keyChosen: true,
          step: r.key_id ? "signing" : "uploading",
        };
        setState(next);
        if (!r.key_id) void run(next, "");
      },
    }),
    [state, patch, choose, hashPath, run, queries],
  );

  return <Ctx.Provider value={api}>{children}</Ctx.Provider>;
}
